import type { QueuedPodInfo } from '../framework/interface.js';
import { PodInfo } from '../framework/pod-info.js';
import type { Pod } from '../framework/types.js';
import type { Status } from '../framework/status.js';
import { KeyedHeap } from './heap.js';
import { Nominator } from './nominator.js';
import { eventMatches, type ClusterEvent } from './events.js';
import { DIAGNOSIS_ANNOTATION } from '../framework/fit-error.js';

// The scheduling queue of upstream's PriorityQueue:
//  - activeQ: pods ready to be tried, ordered by the QueueSort plugin;
//  - backoffQ: pods that failed recently, released when their back-off
//    (initial * 2^(attempts-1), capped) expires;
//  - unschedulable: pods rejected by plugins, moved back only when a
//    cluster event one of those plugins cares about happens (or after
//    podMaxInUnschedulablePodsDuration).
// A failure that raced with such an event goes to backoffQ instead, so the
// event is not lost (moveRequestCycle).

export interface QueueOptions {
  less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  /** PreEnqueue plugins of the pod's profile; a rejection parks the pod as gated. */
  preEnqueue?: (pod: Pod) => Status;
  /** Cluster events each plugin registered, by plugin name. */
  pluginEvents?: Map<string, ClusterEvent[]>;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxInUnschedulableMs?: number;
  now?: () => number;
}

const keyOf = (q: QueuedPodInfo) => q.info.key;

export class SchedulingQueue {
  readonly nominator = new Nominator();
  private readonly active: KeyedHeap<QueuedPodInfo>;
  private readonly backoff: KeyedHeap<QueuedPodInfo>;
  private readonly unschedulable = new Map<string, QueuedPodInfo & { gated?: boolean }>();
  /** Pods popped and not yet done (being scheduled or bound). */
  private readonly inFlight = new Map<string, QueuedPodInfo>();
  private schedulingCycle = 0;
  private moveRequestCycle = -1;
  private waiters: Array<(q: QueuedPodInfo | undefined) => void> = [];
  private closed = false;
  private backoffTimer?: NodeJS.Timeout;
  private leftoverTimer?: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxInUnschedulableMs: number;

  constructor(private readonly opts: QueueOptions) {
    this.now = opts.now ?? Date.now;
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxInUnschedulableMs = opts.maxInUnschedulableMs ?? 5 * 60_000;
    this.active = new KeyedHeap(keyOf, opts.less);
    this.backoff = new KeyedHeap(keyOf, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  }

  /** Start the periodic flushes (tests drive them by hand instead). */
  run(): void {
    this.leftoverTimer = setInterval(() => this.flushUnschedulableLeftover(), 30_000);
    this.leftoverTimer.unref();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.backoffTimer);
    clearInterval(this.leftoverTimer);
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  get counts(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, inFlight: this.inFlight.size };
  }

  has(key: string): boolean {
    return this.active.has(key) || this.backoff.has(key) || this.unschedulable.has(key) || this.inFlight.has(key);
  }

  private newQueued(pod: Pod): QueuedPodInfo {
    const now = this.now();
    return { info: new PodInfo(pod), initialAttemptTimestamp: now, timestamp: now, attempts: 0, unschedulablePlugins: new Set() };
  }

  private toActive(q: QueuedPodInfo): void {
    const gate = this.opts.preEnqueue?.(q.info.pod);
    if (gate && !gate.isSuccess()) {
      q.unschedulablePlugins = new Set([gate.plugin]);
      this.unschedulable.set(q.info.key, Object.assign(q, { gated: true }));
      return;
    }
    if (this.unschedulable.get(q.info.key)?.gated) this.unschedulable.delete(q.info.key);
    const w = this.waiters.shift();
    if (w) {
      this.inFlight.set(q.info.key, q);
      q.attempts++;
      this.schedulingCycle++;
      w(q);
      return;
    }
    this.active.push(q);
  }

  add(pod: Pod): void {
    const q = this.newQueued(pod);
    if (this.has(q.info.key)) return this.update(pod, pod);
    this.toActive(q);
  }

  /** The pod object changed while queued. */
  update(oldPod: Pod, newPod: Pod): void {
    const info = new PodInfo(newPod);
    const key = info.key;
    for (const h of [this.active, this.backoff]) {
      const q = h.get(key);
      if (q) {
        q.info = info;
        h.push(q);
        this.nominator.update(info);
        return;
      }
    }
    const inflight = this.inFlight.get(key);
    if (inflight) {
      inflight.info = info;
      return;
    }
    const u = this.unschedulable.get(key);
    if (u) {
      u.info = info;
      this.nominator.update(info);
      // A spec/label change may make it schedulable; status-only updates (our own condition patch) do not.
      if (specChanged(oldPod, newPod) || u.gated) {
        this.unschedulable.delete(key);
        if (!u.gated && this.isBackingOff(u)) this.backoff.push(u);
        else this.toActive(u);
        this.armBackoffTimer();
      }
      return;
    }
    this.add(newPod);
  }

  delete(pod: Pod): void {
    const key = new PodInfo(pod).key;
    this.active.delete(key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    this.inFlight.delete(key);
    this.nominator.delete(key);
  }

  /** The next pod to schedule; waits while the active queue is empty. undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const q = this.active.pop();
    if (q) {
      this.inFlight.set(q.info.key, q);
      q.attempts++;
      this.schedulingCycle++;
      return Promise.resolve(q);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Non-blocking pop, for a loop that wants to drain without awaiting. */
  tryPop(): QueuedPodInfo | undefined {
    const q = this.active.pop();
    if (!q) return undefined;
    this.inFlight.set(q.info.key, q);
    q.attempts++;
    this.schedulingCycle++;
    return q;
  }

  get currentCycle(): number {
    return this.schedulingCycle;
  }

  /** The pod left the scheduler's hands (bound, or gone). */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /** Put a pod that failed back: to backoffQ if an event arrived meanwhile (or it errored), else to unschedulable. */
  addUnschedulable(q: QueuedPodInfo, podCycle: number): void {
    const key = q.info.key;
    if (!this.inFlight.has(key)) return; // deleted while being scheduled
    this.inFlight.delete(key);
    q.timestamp = this.now();
    if (this.moveRequestCycle >= podCycle || q.lastError || q.unschedulablePlugins.size === 0) {
      this.backoff.push(q);
      this.armBackoffTimer();
    } else {
      this.unschedulable.set(key, q);
    }
  }

  private backoffDuration(q: QueuedPodInfo): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < q.attempts; i++) {
      d *= 2;
      if (d >= this.maxBackoffMs) return this.maxBackoffMs;
    }
    return Math.min(d, this.maxBackoffMs);
  }

  private backoffExpiry(q: QueuedPodInfo): number {
    return q.timestamp + this.backoffDuration(q);
  }

  private isBackingOff(q: QueuedPodInfo): boolean {
    return this.backoffExpiry(q) > this.now();
  }

  private armBackoffTimer(): void {
    if (this.closed || this.opts.now) return;
    const head = this.backoff.peek();
    clearTimeout(this.backoffTimer);
    if (!head) return;
    const wait = Math.max(10, this.backoffExpiry(head) - this.now());
    this.backoffTimer = setTimeout(() => {
      this.flushBackoffCompleted();
      this.armBackoffTimer();
    }, wait);
    this.backoffTimer.unref();
  }

  flushBackoffCompleted(): void {
    for (;;) {
      const head = this.backoff.peek();
      if (!head || this.isBackingOff(head)) return;
      this.backoff.pop();
      this.toActive(head);
    }
  }

  flushUnschedulableLeftover(): void {
    const now = this.now();
    const stale = [...this.unschedulable.values()].filter((q) => !q.gated && now - q.timestamp > this.maxInUnschedulableMs);
    this.movePods(stale);
  }

  private interested(q: QueuedPodInfo, event: ClusterEvent): boolean {
    if (q.unschedulablePlugins.size === 0) return true;
    for (const p of q.unschedulablePlugins) {
      const evs = this.opts.pluginEvents?.get(p);
      if (!evs) return true;
      if (evs.some((e) => eventMatches(e, event))) return true;
    }
    return false;
  }

  /** A cluster event happened: move the unschedulable pods it may help. */
  moveAllToActiveOrBackoff(event: ClusterEvent, filter?: (q: QueuedPodInfo) => boolean): void {
    this.moveRequestCycle = this.schedulingCycle;
    if (this.unschedulable.size === 0) return;
    const move: QueuedPodInfo[] = [];
    for (const q of this.unschedulable.values()) {
      if ((q as { gated?: boolean }).gated) continue;
      if (this.interested(q, event) && (!filter || filter(q))) move.push(q);
    }
    this.movePods(move);
  }

  private movePods(list: QueuedPodInfo[]): void {
    for (const q of list) {
      this.unschedulable.delete(q.info.key);
      if (this.isBackingOff(q)) this.backoff.push(q);
      else this.toActive(q);
    }
    if (list.length) this.armBackoffTimer();
  }

  /** Pending pods, for diagnostics and tests. */
  pendingPods(): { active: string[]; backoff: string[]; unschedulable: string[] } {
    return {
      active: this.active.values().map(keyOf),
      backoff: this.backoff.values().map(keyOf),
      unschedulable: [...this.unschedulable.keys()],
    };
  }
}

/** Upstream's isPodUpdated: anything but status, resourceVersion, generation and managedFields. */
function specChanged(a: Pod, b: Pod): boolean {
  const strip = (p: Pod) => {
    // The scheduler's own diagnosis annotation is not a change that can help.
    const annotations = { ...p.metadata.annotations, [DIAGNOSIS_ANNOTATION]: undefined };
    return JSON.stringify({ ...p, status: undefined, metadata: { ...p.metadata, annotations, resourceVersion: undefined, generation: undefined, managedFields: undefined } });
  };
  return strip(a) !== strip(b);
}
