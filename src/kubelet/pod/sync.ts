import { mkdir } from 'node:fs/promises';
import type { Pod, PodStatus } from '../api-types.js';
import type { KubeletContext } from '../context.js';
import * as ev from '../events.js';
import type { ProberManager } from '../prober/manager.js';
import { computePodActions } from './actions.js';
import { sandboxConfig } from './container-config.js';
import { readPodState, sandboxIPs, type PodRuntimeState } from './runtime-state.js';
import { startContainer, type Waiting } from './start-container.js';
import { generatePodStatus } from './status.js';
import { killContainer, killPod, gracePeriodOf } from './terminate.js';

// One sync of a live pod, as upstream's SyncPod: volumes, then the actions
// computePodActions asks for, then garbage, then the status from a fresh
// read of the runtime. It returns when to come back (a back-off expiring).

export interface PodWorkerState {
  waiting: Waiting;
  /** No container will run again; the sandbox is stopped and the phase final. */
  finished: boolean;
  /** Why the kubelet ended the pod itself (activeDeadlineSeconds): phase Failed with this reason. */
  evicted?: { reason: string; message: string };
}

const DEADLINE_MESSAGE = 'Pod was active on the node longer than the specified deadline';

/** When the pod's activeDeadlineSeconds runs out (ms since epoch), counted from its startTime as upstream. */
function activeDeadline(pod: Pod): number | undefined {
  const seconds = pod.spec.activeDeadlineSeconds;
  const start = pod.status?.startTime;
  if (seconds === undefined || seconds === null || !start) return undefined;
  return Date.parse(start) + seconds * 1000;
}

export interface SyncResult {
  status: PodStatus;
  retryAt?: number;
}

/** Dead instances kept per container name besides the newest, as upstream's MaxPerPodContainer. */
const KEEP_DEAD = 1;

async function collectGarbage(ctx: KubeletContext, state: PodRuntimeState): Promise<void> {
  const seen = new Map<string, number>();
  for (const c of state.containers) {
    const n = (seen.get(c.metadata.name) ?? 0) + 1;
    seen.set(c.metadata.name, n);
    if (n > 1 + KEEP_DEAD && c.state === 'CONTAINER_EXITED') await ctx.runtime.removeContainer(c.id).catch(() => undefined);
  }
  const live = new Set(state.containers.map((c) => c.podSandboxId));
  for (const s of state.sandboxes.slice(1)) {
    if (s.state !== 'SANDBOX_READY' && !live.has(s.id)) await ctx.runtime.removePodSandbox(s.id).catch(() => undefined);
  }
}

export function statusFor(ctx: KubeletContext, pod: Pod, state: PodRuntimeState, ws: PodWorkerState, prober: ProberManager, terminal = ws.finished): PodStatus {
  const status = generatePodStatus({
    pod,
    state,
    runtimeName: ctx.runtimeName,
    nodeIPs: ctx.nodeIPs,
    waiting: ws.waiting,
    readiness: prober.readiness,
    startup: prober.startup,
    terminal,
    now: new Date(),
  });
  return ws.evicted ? { ...status, phase: 'Failed', reason: ws.evicted.reason, message: ws.evicted.message } : status;
}

export async function syncPod(ctx: KubeletContext, pod: Pod, ws: PodWorkerState, prober: ProberManager): Promise<SyncResult> {
  const uid = pod.metadata.uid!;
  let state = await readPodState(ctx.runtime, uid);

  if (ws.finished) {
    for (const s of state.sandboxes) if (s.state === 'SANDBOX_READY') await ctx.runtime.stopPodSandbox(s.id).catch(() => undefined);
    prober.removePod(uid);
    return { status: statusFor(ctx, pod, await readPodState(ctx.runtime, uid), ws, prober) };
  }

  // upstream's activeDeadlineHandler: past the deadline the pod fails and every container is stopped.
  const deadline = activeDeadline(pod);
  if (deadline !== undefined && Date.now() >= deadline) {
    ws.evicted = { reason: ev.DeadlineExceeded, message: DEADLINE_MESSAGE };
    ws.finished = true;
    ctx.recorder.event(pod, 'Normal', ev.DeadlineExceeded, DEADLINE_MESSAGE);
    prober.removePod(uid);
    await killPod(ctx, pod, gracePeriodOf(pod));
    return { status: statusFor(ctx, pod, await readPodState(ctx.runtime, uid), ws, prober) };
  }

  const vol = await ctx.volumes.setUpPod(pod, sandboxIPs(state)[0]);
  if (!vol.ok) return { status: statusFor(ctx, pod, state, ws, prober), retryAt: Date.now() + vol.retryInMs };

  const actions = computePodActions(pod, state, prober);
  let retryAt: number | undefined;
  const retry = (t: number | undefined): void => {
    if (t !== undefined) retryAt = retryAt === undefined ? t : Math.min(retryAt, t);
  };

  if (actions.sandboxChanged) ctx.recorder.event(pod, 'Normal', ev.SandboxChanged, 'Pod sandbox changed, it will be killed and re-created.');
  if (actions.killPod) {
    prober.removePod(uid);
    state = await killPod(ctx, pod, gracePeriodOf(pod));
  }
  for (const k of actions.kill) {
    await killContainer(ctx, pod, k.id, k.name, gracePeriodOf(pod), k.message).catch(() => undefined);
    prober.forgetContainer(k.id);
  }

  if (actions.done) {
    ws.finished = true;
    // Ephemeral containers may outlive the pod's own; nothing keeps running in a finished pod, as upstream.
    if (state.containers.some((c) => c.state === 'CONTAINER_RUNNING')) state = await killPod(ctx, pod, gracePeriodOf(pod));
    for (const s of state.sandboxes) if (s.state === 'SANDBOX_READY') await ctx.runtime.stopPodSandbox(s.id).catch(() => undefined);
    prober.removePod(uid);
    return { status: statusFor(ctx, pod, await readPodState(ctx.runtime, uid), ws, prober) };
  }

  // DNS warnings are events only when a sandbox is made, not on every sync.
  const dns = ctx.dns ? { settings: ctx.dns, warn: (reason: string, msg: string) => actions.createSandbox && ctx.recorder.event(pod, 'Warning', reason, msg) } : undefined;
  const sbConfig = sandboxConfig(pod, ctx.nodeName, ctx.rootDir, actions.sandboxAttempt, dns);
  let sandboxId = state.sandboxes[0]?.id;
  if (actions.createSandbox) {
    try {
      if (!ctx.lightweight) await mkdir(sbConfig.podDir, { recursive: true });
      sandboxId = await ctx.runtime.runPodSandbox(sbConfig);
      ctx.crashBackoff.reset(`${uid}/sandbox`);
    } catch (err) {
      const key = `${uid}/sandbox`;
      ctx.crashBackoff.next(key);
      ctx.recorder.event(pod, 'Warning', ev.FailedCreatePodSandBox, `Failed to create pod sandbox: ${(err as Error).message}`);
      return { status: statusFor(ctx, pod, state, ws, prober), retryAt: Date.now() + ctx.crashBackoff.get(key) };
    }
    // Only the new sandbox changed (its IPs are needed next): one inspect instead of a full re-read.
    const created = await ctx.runtime.podSandboxStatus(sandboxId).catch(() => undefined);
    if (created) state = { ...state, sandboxes: [created, ...state.sandboxes] };
    else state = await readPodState(ctx.runtime, uid);
  } else {
    sbConfig.metadata.attempt = state.sandboxes[0]!.metadata.attempt;
  }

  const podIPs = pod.spec.hostNetwork ? ctx.nodeIPs.slice(0, 1) : sandboxIPs(state);
  for (const step of actions.start) {
    const r = await startContainer(ctx, pod, step, { sandboxId: sandboxId!, sandboxConfig: sbConfig, podIPs, volumePaths: vol.paths, waiting: ws.waiting });
    if (!r.started) retry(r.retryAt);
    // Init containers run one at a time; the next sync starts the next one.
    if (step.init) break;
  }
  // Containers that are running (or will not restart) wait for nothing.
  for (const name of [...ws.waiting.keys()]) if (!actions.start.some((s) => s.container.name === name)) ws.waiting.delete(name);

  if (deadline !== undefined) retry(deadline);
  // A sync that changed nothing in the runtime (most syncs of a running pod) reports from the read it started with.
  if (actions.killPod || actions.kill.length || actions.createSandbox || actions.start.length) state = await readPodState(ctx.runtime, uid);
  await collectGarbage(ctx, state);
  prober.sync(pod, state, podIPs[0]);
  return { status: statusFor(ctx, pod, state, ws, prober), retryAt };
}
