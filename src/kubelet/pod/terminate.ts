import type { Pod } from '../api-types.js';
import type { KubeletContext } from '../context.js';
import * as ev from '../events.js';
import { readPodState, type PodRuntimeState } from './runtime-state.js';
import { runHook } from './lifecycle.js';

// Stopping a pod: every running container gets SIGTERM with the pod's grace
// period (a Killing event each, as upstream's killContainer), then the
// sandbox stops. Removal of the records and volumes is a separate step so
// the final status can still be read from the runtime.

export function gracePeriodOf(pod: Pod): number {
  return pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
}

export function containerFieldPath(pod: Pod, name: string): string {
  if ((pod.spec.ephemeralContainers ?? []).some((c) => c.name === name)) return `spec.ephemeralContainers{${name}}`;
  return (pod.spec.initContainers ?? []).some((c) => c.name === name) ? `spec.initContainers{${name}}` : `spec.containers{${name}}`;
}

/** Upstream's minimumGracePeriodInSeconds: what a container gets after a preStop hook used up the rest. */
const MIN_GRACE_AFTER_PRESTOP = 2;

export async function killContainer(ctx: KubeletContext, pod: Pod, id: string, name: string, grace: number, message = `Stopping container ${name}`): Promise<void> {
  const fieldPath = containerFieldPath(pod, name);
  ctx.recorder.eventWithFieldPath(pod, fieldPath, 'Normal', ev.KillingContainer, message);
  const spec = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((c) => c.name === name);
  const preStop = spec?.lifecycle?.preStop;
  if (spec && preStop && grace > 0) {
    // The hook runs inside the grace period; the signal gets what is left of it.
    const started = Date.now();
    const msg = await runHook(ctx, pod, spec, id, preStop, pod.status?.podIP, grace * 1000);
    if (msg) ctx.recorder.eventWithFieldPath(pod, fieldPath, 'Warning', ev.FailedPreStopHook, msg);
    grace = Math.max(MIN_GRACE_AFTER_PRESTOP, grace - Math.floor((Date.now() - started) / 1000));
  }
  try {
    await ctx.runtime.stopContainer(id, grace);
  } catch (err) {
    ctx.log.warn({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, container: name, err: (err as Error).message }, 'stopping container failed');
    throw err;
  }
}

/** Kills all running containers and stops all sandboxes; returns the state afterwards. */
export async function killPod(ctx: KubeletContext, pod: Pod, grace = gracePeriodOf(pod)): Promise<PodRuntimeState> {
  const uid = pod.metadata.uid!;
  const before = await readPodState(ctx.runtime, uid);
  const running = before.containers.filter((c) => c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_CREATED');
  const results = await Promise.allSettled(running.map((c) => killContainer(ctx, pod, c.id, c.metadata.name, grace)));
  if (results.some((r) => r.status === 'rejected')) {
    ctx.recorder.event(pod, 'Warning', ev.FailedToKillPod, 'error killing pod: failed to "KillContainer"');
  }
  for (const s of before.sandboxes) if (s.state === 'SANDBOX_READY') await ctx.runtime.stopPodSandbox(s.id).catch(() => undefined);
  return readPodState(ctx.runtime, uid);
}

/** Removes every container, sandbox and volume of a pod and forgets its back-off. */
export async function removePod(ctx: KubeletContext, uid: string, pod?: Pod): Promise<void> {
  const state = await readPodState(ctx.runtime, uid);
  for (const c of state.containers) await ctx.runtime.removeContainer(c.id).catch(() => undefined);
  for (const s of state.sandboxes) await ctx.runtime.removePodSandbox(s.id).catch(() => undefined);
  await ctx.volumes.tearDownPod(uid, pod);
  ctx.crashBackoff.resetPrefix(`${uid}/`);
  ctx.imageBackoff.resetPrefix(`${uid}/`);
}
