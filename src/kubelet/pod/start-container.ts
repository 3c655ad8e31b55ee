import { RuntimeError } from '../../runtime/interface.js';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Mount, PodSandboxConfig } from '../../runtime/interface.js';
import { isNotFound } from '../../client/status.js';
import type { KubeObject } from '../../api/types.js';
import { formatPod, type Pod } from '../api-types.js';
import type { KubeletContext } from '../context.js';
import * as ev from '../events.js';
import { goDuration } from '../util/duration.js';
import type { StartStep } from './actions.js';
import { containerConfig, writeEtcHosts } from './container-config.js';
import { ContainerConfigError, makeEnvironment } from './env.js';
import { serviceEnvironment } from './service-env.js';
import { expandCommandAndArgs } from './expansion.js';
import { ensureImage } from './images.js';
import { runHook } from './lifecycle.js';
import { killContainer, gracePeriodOf } from './terminate.js';
import { ANNOTATION_TERMINATION_MESSAGE_HOST_PATH, terminationMessageMount } from './termination-message.js';

/** A postStart hook that never returns would hold the pod's worker: upstream has no limit, we stop at 5 minutes. */
const POST_START_TIMEOUT_MS = 300_000;

// Starting one container as upstream's startContainer: crash-loop back-off
// first, then image, configuration, create, start, each failure leaving the
// container waiting with upstream's reason and a Failed event.

export type Waiting = Map<string, { reason: string; message: string }>;

export interface StartEnv {
  sandboxId: string;
  sandboxConfig: PodSandboxConfig;
  podIPs: string[];
  volumePaths: Map<string, string>;
  waiting: Waiting;
}

/** Outcome: started, or not and when to try again (ms since epoch). */
export type StartResult = { started: true } | { started: false; retryAt?: number };

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
const SECRETS = { group: '', version: 'v1', resource: 'secrets', namespaced: true };

export function crashKey(pod: Pod, name: string): string {
  return `${pod.metadata.uid}/${name}`;
}

export async function startContainer(ctx: KubeletContext, pod: Pod, step: StartStep, env: StartEnv): Promise<StartResult> {
  const { container, fieldPath, previous } = step;
  const name = container.name;
  const event = (type: 'Normal' | 'Warning', reason: string, message: string): void => ctx.recorder.eventWithFieldPath(pod, fieldPath, type, reason, message);
  const fail = (reason: string, message: string, retryAt?: number): StartResult => {
    env.waiting.set(name, { reason, message });
    return { started: false, retryAt };
  };

  if (previous?.state === 'CONTAINER_EXITED') {
    const key = crashKey(pod, name);
    const finished = previous.finishedAt || Date.now();
    if (ctx.crashBackoff.isInBackOffSince(key, finished)) {
      event('Warning', ev.BackOffStartContainer, `Back-off restarting failed container ${name} in pod ${formatPod(pod)}`);
      return fail(ev.CrashLoopBackOff, `back-off ${goDuration(ctx.crashBackoff.get(key))} restarting failed container=${name} pod=${formatPod(pod)}`, ctx.crashBackoff.retryAt(key, finished));
    }
    ctx.crashBackoff.next(key, finished);
  }

  const image = await ensureImage(ctx, pod, container, fieldPath);
  if (!image.ok) {
    event('Warning', ev.FailedToCreateContainer, `Error: ${image.reason}`);
    const retryAt = image.reason === ev.ErrImagePull || image.reason === ev.ImagePullBackOff ? Date.now() + Math.max(ctx.imageBackoff.get(`${pod.metadata.uid}/${container.image}`), 1000) : undefined;
    return fail(image.reason, image.message, retryAt);
  }

  let envVars: { name: string; value: string }[];
  let mounts: Mount[];
  let termination: { mount: Mount; hostPath: string } | undefined;
  const attempt = previous ? previous.metadata.attempt + 1 : 0;
  try {
    const get = (ref: typeof CONFIGMAPS) => async (ns: string, n: string): Promise<KubeObject | undefined> => {
      try {
        return await ctx.client.get(ref, ns, n);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw new ContainerConfigError((err as Error).message);
      }
    };
    let serviceEnv: Map<string, string> | undefined;
    if (ctx.services) {
      // As upstream: a container started before the Services were read would miss KUBERNETES_SERVICE_HOST.
      if (!ctx.services.hasSynced()) throw new ContainerConfigError('services have not yet been read at least once, cannot construct envvars');
      serviceEnv = serviceEnvironment(ctx.services.list(), pod.metadata.namespace ?? 'default', pod.spec.enableServiceLinks ?? true);
    }
    envVars = await makeEnvironment(pod, container, {
      serviceEnv,
      configMap: get(CONFIGMAPS),
      secret: get(SECRETS),
      podIP: env.podIPs[0],
      podIPs: env.podIPs,
      hostIP: ctx.nodeIPs[0],
      hostIPs: ctx.nodeIPs,
      nodeName: ctx.nodeName,
      allocatable: ctx.allocatable,
    });
    mounts = await ctx.volumes.mountsFor(pod, container, env.volumePaths);
    if (!ctx.lightweight && !pod.spec.hostNetwork && !mounts.some((m) => m.containerPath === '/etc/hosts')) {
      mounts.push(await writeEtcHosts(env.sandboxConfig.podDir, pod, env.podIPs, ctx.dns?.clusterDomain));
    }
    // The exec runtime's containers see the host's own root, where a mount point would be a file in the
    // host's /dev: they get no termination-message file (FallbackToLogsOnError still works from the log).
    if (!ctx.lightweight && ctx.runtimeName !== 'exec' && !mounts.some((m) => m.containerPath === container.terminationMessagePath)) {
      termination = await terminationMessageMount(env.sandboxConfig.podDir, container, attempt);
      if (termination) mounts.push(termination.mount);
    }
  } catch (err) {
    const message = (err as Error).message;
    event('Warning', ev.FailedToCreateContainer, `Error: ${message}`);
    return fail(ev.CreateContainerConfigError, message, Date.now() + 2000);
  }

  const { command, args } = expandCommandAndArgs(container.command, container.args, envVars);
  const config = containerConfig({ pod, container, attempt, nodeName: ctx.nodeName, rootDir: ctx.rootDir, imageRef: image.imageRef, env: envVars, command, args, mounts });
  if (termination) config.annotations[ANNOTATION_TERMINATION_MESSAGE_HOST_PATH] = termination.hostPath;
  if (!ctx.lightweight) await mkdir(dirname(config.logPath), { recursive: true }).catch(() => undefined);

  let id: string;
  try {
    id = await ctx.runtime.createContainer(env.sandboxId, config, env.sandboxConfig);
  } catch (err) {
    const message = (err as Error).message;
    event('Warning', ev.FailedToCreateContainer, `Error: ${message}`);
    // A container the runtime cannot even describe (exec: no command) is a configuration error, as upstream.
    const reason = err instanceof RuntimeError && err.code === 'InvalidConfig' ? ev.CreateContainerConfigError : ev.CreateContainerError;
    return fail(reason, message, Date.now() + 2000);
  }
  event('Normal', ev.CreatedContainer, `Created container: ${name}`);
  try {
    await ctx.runtime.startContainer(id);
  } catch (err) {
    const message = (err as Error).message.split(id).join(name);
    event('Warning', ev.FailedToStartContainer, `Error: ${message}`);
    return fail(ev.RunContainerError, message, Date.now() + 2000);
  }
  event('Normal', ev.StartedContainer, `Started container ${name}`);
  const postStart = container.lifecycle?.postStart;
  if (postStart) {
    // As upstream: the container counts as started only once its postStart hook has run; a failure kills it.
    const msg = await runHook(ctx, pod, container, id, postStart, env.podIPs[0], POST_START_TIMEOUT_MS);
    if (msg) {
      event('Warning', ev.FailedPostStartHook, msg);
      await killContainer(ctx, pod, id, name, gracePeriodOf(pod), ev.FailedPostStartHook).catch(() => undefined);
      return fail(ev.PostStartHookError, msg);
    }
  }
  env.waiting.delete(name);
  return { started: true };
}
