import type { KubeObject } from '../../api/types.js';
import type { NodeCondition } from './types.js';

// Zones and their health, as upstream's node lifecycle controller judges
// them, and the per-zone rate-limited queue of nodes waiting for a NoExecute
// taint (RateLimitedTimedQueue). Evictions follow the taint, so limiting
// tainting per zone limits evictions per zone.

export type ZoneState = 'Initial' | 'Normal' | 'FullDisruption' | 'PartialDisruption';

export const LABEL_ZONE = 'topology.kubernetes.io/zone';
export const LABEL_REGION = 'topology.kubernetes.io/region';
const LABEL_ZONE_BETA = 'failure-domain.beta.kubernetes.io/zone';
const LABEL_REGION_BETA = 'failure-domain.beta.kubernetes.io/region';
export const LABEL_EXCLUDE_DISRUPTION = 'node.kubernetes.io/exclude-disruption';

/** "region:\0:zone" as upstream's GetZoneKey; "" for nodes without either label. */
export function zoneKey(node: KubeObject): string {
  const l = node.metadata.labels ?? {};
  const zone = l[LABEL_ZONE] ?? l[LABEL_ZONE_BETA] ?? '';
  const region = l[LABEL_REGION] ?? l[LABEL_REGION_BETA] ?? '';
  if (!zone && !region) return '';
  return `${region}:\u0000:${zone}`;
}

/** Upstream's ComputeZoneState: a zone with no ready node is fully disrupted; one with >2 and ≥threshold not ready partially. */
export function computeZoneState(ready: (NodeCondition | undefined)[], unhealthyThreshold: number): { notReady: number; state: ZoneState } {
  let readyNodes = 0;
  let notReady = 0;
  for (const c of ready) {
    if (c?.status === 'True') readyNodes++;
    else notReady++;
  }
  if (readyNodes === 0 && notReady > 0) return { notReady, state: 'FullDisruption' };
  if (notReady > 2 && notReady / (notReady + readyNodes) >= unhealthyThreshold) return { notReady, state: 'PartialDisruption' };
  return { notReady, state: 'Normal' };
}

/** Tainting rate for a zone in a state (setLimiterInZone with HealthyQPSFunc / ReducedQPSFunc). */
export function zoneEvictionRate(state: ZoneState, zoneSize: number, o: { nodeEvictionRate: number; secondaryNodeEvictionRate: number; largeClusterSizeThreshold: number }): number {
  switch (state) {
    case 'PartialDisruption':
      return zoneSize > o.largeClusterSizeThreshold ? o.secondaryNodeEvictionRate : 0;
    default:
      return o.nodeEvictionRate;
  }
}

/** A token bucket with burst 1 whose rate can be swapped; rate 0 never admits (upstream's fake never-limiter). */
export class SwappableLimiter {
  private tokens = 1;
  private last: number;

  constructor(
    private qpsValue: number,
    private readonly now: () => number = Date.now,
  ) {
    this.last = now();
  }

  get qps(): number {
    return this.qpsValue;
  }

  tryAccept(): boolean {
    if (this.qpsValue <= 0) return false;
    const t = this.now();
    this.tokens = Math.min(1, this.tokens + ((t - this.last) / 1000) * this.qpsValue);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  swap(qps: number): void {
    if (qps === this.qpsValue) return;
    // A limiter we were waiting on hands its debt to the new one, as upstream drains the new bucket.
    const waiting = !this.tryAccept();
    this.qpsValue = qps;
    this.tokens = waiting ? 0 : 1;
    this.last = this.now();
  }
}

interface TimedValue {
  value: string;
  uid: string;
  processAt: number;
}

/**
 * Upstream's RateLimitedTimedQueue: a set of node names, each processed once
 * (a processed node stays in the set until remove(), so it is not queued
 * again), at most one per limiter token.
 */
export class RateLimitedTimedQueue {
  private queue: TimedValue[] = [];
  private readonly set = new Set<string>();

  constructor(
    readonly limiter: SwappableLimiter,
    private readonly now: () => number = Date.now,
  ) {}

  /** false when the value is already in the set. */
  add(value: string, uid: string): boolean {
    if (this.set.has(value)) return false;
    this.set.add(value);
    const t = this.now();
    this.queue.push({ value, uid, processAt: t });
    this.queue.sort((a, b) => a.processAt - b.processAt);
    return true;
  }

  remove(value: string): boolean {
    this.queue = this.queue.filter((v) => v.value !== value);
    return this.set.delete(value);
  }

  has(value: string): boolean {
    return this.set.has(value);
  }

  pending(): string[] {
    return this.queue.map((v) => v.value);
  }

  /** Runs fn on due values while tokens last; fn returns [done, retryAfterMs]. */
  async try(fn: (v: TimedValue) => Promise<[boolean, number]>): Promise<void> {
    while (this.queue.length) {
      const v = this.queue[0]!;
      if (!this.limiter.tryAccept()) return;
      const t = this.now();
      if (t < v.processAt) return;
      const [done, wait] = await fn(v);
      // The value may have been removed while fn ran.
      if (this.queue[0] !== v) continue;
      this.queue.shift();
      if (!done) {
        v.processAt = t + wait + 1;
        this.queue.push(v);
        this.queue.sort((a, b) => a.processAt - b.processAt);
      }
    }
  }
}
