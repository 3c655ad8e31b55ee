import { isDeepStrictEqual } from 'node:util';
import { isNotFound } from '../../client/status.js';
import type { Pod } from '../api-types.js';
import type { KubeletContext } from '../context.js';
import type { ProberManager } from '../prober/manager.js';
import { syncPod, statusFor, type PodWorkerState } from './sync.js';
import type { StatusManager } from './status-manager.js';
import { killPod, removePod } from './terminate.js';

// One worker per pod, as upstream's podWorkers: syncs of a pod never run
// concurrently, requests arriving during a sync coalesce into one more, and
// each sync is level-triggered (it compares the latest spec with a fresh
// runtime read), so no event has to be seen to be acted on. Between
// triggers a worker sleeps until its next back-off expiry or the resync
// period.

const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };

/**
 * Whether an API update asks for a sync, as upstream's config source:
 * only spec, labels, annotations and deletion change what the kubelet does
 * (podsDifferSemantically); a status-only update (most often the echo of our
 * own status write) is a reconcile that syncs only when a readiness gate's
 * condition moved (NeedToReconcilePodReadiness). Syncing on every echo cost
 * each pod two more full runtime reads per status write.
 */
export function needsSync(old: Pod, pod: Pod): boolean {
  const a = old.metadata;
  const b = pod.metadata;
  if (
    !isDeepStrictEqual(old.spec, pod.spec) ||
    !isDeepStrictEqual(a.labels ?? {}, b.labels ?? {}) ||
    !isDeepStrictEqual(a.annotations ?? {}, b.annotations ?? {}) ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    a.deletionGracePeriodSeconds !== b.deletionGracePeriodSeconds
  )
    return true;
  const gates = pod.spec.readinessGates ?? [];
  const cond = (p: Pod, type: string): string | undefined => p.status?.conditions?.find((c) => c.type === type)?.status;
  return gates.some((g) => cond(old, g.conditionType) !== cond(pod, g.conditionType));
}

export interface PodWorkerHooks {
  /** The object status is written to: the API pod itself, or a static pod's mirror (undefined: none yet). */
  statusTarget(pod: Pod): Pod | undefined;
  /** Static pods are not deleted through the API when they end. */
  isStatic(pod: Pod): boolean;
  onGone(uid: string): void;
}

class PodWorker {
  pod: Pod;
  /** Gone from every source: terminate and remove without touching the API. */
  removed = false;
  readonly ws: PodWorkerState = { waiting: new Map(), finished: false };
  private running = false;
  private again = false;
  private timer?: NodeJS.Timeout;
  private timerAt = 0;
  private failures = 0;
  private ended = false;

  constructor(
    pod: Pod,
    private readonly owner: PodWorkers,
  ) {
    this.pod = pod;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') this.ws.finished = true;
  }

  trigger(delayMs = 0): void {
    if (this.ended) return;
    if (delayMs > 0) {
      const at = Date.now() + delayMs;
      if (this.timer && this.timerAt <= at) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.trigger();
      }, delayMs);
      this.timerAt = at;
      this.timer.unref();
      return;
    }
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      let next: number | undefined;
      try {
        next = await this.syncOnce();
        this.failures = 0;
      } catch (err) {
        this.failures++;
        next = Date.now() + Math.min(1000 * 2 ** Math.min(this.failures, 6), 60_000);
        this.owner.ctx.log.warn({ pod: `${this.pod.metadata.namespace}/${this.pod.metadata.name}`, err: (err as Error).message }, 'pod sync failed');
      }
      if (this.ended) break;
      if (!this.again) {
        const resync = Date.now() + this.owner.resyncMs;
        const at = next === undefined ? resync : Math.min(next, resync);
        this.running = false;
        this.trigger(Math.max(1, at - Date.now()));
        return;
      }
    } while (this.again && !this.ended);
    this.running = false;
  }

  /** One step; returns when to sync again. */
  private async syncOnce(): Promise<number | undefined> {
    const { ctx, prober, status, hooks } = this.owner;
    const pod = this.pod;
    const uid = pod.metadata.uid!;
    if (this.removed || pod.metadata.deletionTimestamp) {
      prober.removePod(uid);
      const state = await killPod(ctx, pod);
      if (!this.removed && !hooks.isStatic(pod)) {
        const target = hooks.statusTarget(pod);
        if (target) await status.update(target, statusFor(ctx, pod, state, this.ws, prober, true));
      }
      await removePod(ctx, uid, pod);
      if (!this.removed && !hooks.isStatic(pod)) {
        try {
          await ctx.client.delete(PODS, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid } });
        } catch (err) {
          if (!isNotFound(err) && (err as { code?: number }).code !== 409) throw err;
        }
      }
      this.end();
      return undefined;
    }
    const r = await syncPod(ctx, pod, this.ws, prober);
    const target = hooks.statusTarget(pod);
    let retryAt = r.retryAt;
    if (target && !(await status.update(target, r.status))) retryAt = Math.min(retryAt ?? Infinity, Date.now() + 2000);
    return retryAt;
  }

  private end(): void {
    this.ended = true;
    clearTimeout(this.timer);
    this.owner.forget(this.pod.metadata.uid!);
  }

  stop(): void {
    this.ended = true;
    clearTimeout(this.timer);
  }
}

export class PodWorkers {
  private readonly workers = new Map<string, PodWorker>();

  constructor(
    readonly ctx: KubeletContext,
    readonly prober: ProberManager,
    readonly status: StatusManager,
    readonly hooks: PodWorkerHooks,
    readonly resyncMs: number,
  ) {}

  /** A pod was added or changed in a source. */
  update(pod: Pod): void {
    const uid = pod.metadata.uid!;
    let w = this.workers.get(uid);
    if (!w) {
      w = new PodWorker(pod, this);
      this.workers.set(uid, w);
    } else {
      const changed = needsSync(w.pod, pod);
      // The newest copy is kept either way: its status and resourceVersion are what the status manager compares with.
      w.pod = pod;
      if (!changed) return;
    }
    w.trigger();
  }

  /** A pod left its source. */
  remove(uid: string): void {
    const w = this.workers.get(uid);
    if (!w) return;
    w.removed = true;
    w.trigger();
  }

  sync(uid: string): void {
    this.workers.get(uid)?.trigger();
  }

  has(uid: string): boolean {
    return this.workers.has(uid);
  }

  pods(): Pod[] {
    return [...this.workers.values()].map((w) => w.pod);
  }

  forget(uid: string): void {
    this.workers.delete(uid);
    this.status.forget(uid);
    this.hooks.onGone(uid);
  }

  stop(): void {
    for (const w of this.workers.values()) w.stop();
  }
}
