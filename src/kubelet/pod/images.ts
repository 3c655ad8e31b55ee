import type { Container, Pod } from '../api-types.js';
import type { KubeletContext } from '../context.js';
import * as ev from '../events.js';
import { goDuration } from '../util/duration.js';

// Image pulls per imagePullPolicy with upstream's events and back-off
// (pkg/kubelet/images/image_manager.go): a failed pull is retried only after
// a doubling delay, during which the container waits as ImagePullBackOff.

export type EnsureImageResult = { ok: true; imageRef: string } | { ok: false; reason: string; message: string };

/** The policy the API server defaults: Always for :latest or no tag, else IfNotPresent. */
export function pullPolicyOf(c: Container): 'Always' | 'IfNotPresent' | 'Never' {
  if (c.imagePullPolicy) return c.imagePullPolicy;
  const image = c.image ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const last = image.slice(image.lastIndexOf('/') + 1);
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

export async function ensureImage(ctx: KubeletContext, pod: Pod, container: Container, fieldPath: string): Promise<EnsureImageResult> {
  const image = container.image ?? '';
  const event = (type: 'Normal' | 'Warning', reason: string, message: string): void => ctx.recorder.eventWithFieldPath(pod, fieldPath, type, reason, message);
  if (!image) {
    const message = `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format`;
    event('Warning', ev.InvalidImageName, message);
    return { ok: false, reason: ev.InvalidImageName, message };
  }
  const policy = pullPolicyOf(container);
  const present = await ctx.runtime.imageStatus(image).catch(() => null);
  if (policy === 'Never' || (policy === 'IfNotPresent' && present)) {
    if (present) {
      event('Normal', ev.PulledImage, `Container image "${image}" already present on machine`);
      return { ok: true, imageRef: present.id };
    }
    const message = `Container image "${image}" is not present with pull policy of Never`;
    event('Warning', ev.ErrImageNeverPullPolicy, message);
    return { ok: false, reason: ev.ErrImageNeverPull, message };
  }
  const key = `${pod.metadata.uid}/${image}`;
  if (ctx.imageBackoff.isInBackOffSinceUpdate(key)) {
    const message = `Back-off pulling image "${image}"`;
    event('Normal', ev.BackOffPullImage, message);
    return { ok: false, reason: ev.ImagePullBackOff, message };
  }
  event('Normal', ev.PullingImage, `Pulling image "${image}"`);
  const began = Date.now();
  try {
    const ref = await ctx.runtime.pullImage(image);
    const took = goDuration(Math.floor(Date.now() - began));
    const size = (await ctx.runtime.imageStatus(image).catch(() => null))?.size ?? 0;
    event('Normal', ev.PulledImage, `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${size} bytes.`);
    return { ok: true, imageRef: ref };
  } catch (err) {
    ctx.imageBackoff.next(key);
    const message = (err as Error).message;
    event('Warning', ev.FailedToPullImage, `Failed to pull image "${image}": ${message}`);
    return { ok: false, reason: ev.ErrImagePull, message };
  }
}
