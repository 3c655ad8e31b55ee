import { randomInt } from 'node:crypto';
import { nowTimestamp } from '../../api/types.js';
import { realClock, type Clock } from '../clock.js';
import { TokenBucket } from '../ratelimit.js';
import { LruCache } from './lru.js';
import type { CoreEvent } from './types.js';

// client-go's EventCorrelator (tools/record/events_cache.go), which keeps a
// component from flooding the API server with events:
//  - aggregator: once 10 events differing only in message arrive within
//    10 minutes, further ones become a single "(combined from similar
//    events): ..." event;
//  - logger: an exact repeat becomes a patch of the existing event
//    (count+1, new lastTimestamp) instead of a new object;
//  - spam filter: a token bucket per key (burst 25, refill 1 per 5 min).

const MAX_LRU_ENTRIES = 4096;
export const AGGREGATE_MAX_EVENTS = 10;
export const AGGREGATE_INTERVAL_SECONDS = 600;
export const SPAM_BURST = 25;
export const SPAM_QPS = 1 / 300;

const ref = (e: CoreEvent) => e.involvedObject ?? {};

/** Identity of an exact repeat: source, involved object (with fieldPath), type, reason, message. */
export function eventKey(e: CoreEvent): string {
  const o = ref(e);
  return [e.source?.component, e.source?.host, o.kind, o.namespace, o.name, o.fieldPath, o.uid, o.apiVersion, e.type, e.reason, e.message]
    .map((x) => x ?? '')
    .join('');
}

/** The spam key of current client-go: source, object, type, reason and message. */
export function spamKey(e: CoreEvent): string {
  const o = ref(e);
  return [e.source?.component, e.source?.host, o.kind, o.namespace, o.name, o.uid, o.apiVersion, e.type, e.reason, e.message].map((x) => x ?? '').join('');
}

/** The older spam key (source + object only), for callers that want per-object throttling. */
export function spamKeyBySourceObject(e: CoreEvent): string {
  const o = ref(e);
  return [e.source?.component, e.source?.host, o.kind, o.namespace, o.name, o.uid, o.apiVersion].map((x) => x ?? '').join('');
}

/** Aggregation groups events equal in everything but message (EventAggregatorByReasonFunc). */
export function aggregateKeys(e: CoreEvent): { aggregateKey: string; localKey: string } {
  const o = ref(e);
  const aggregateKey = [e.source?.component, e.source?.host, o.kind, o.namespace, o.name, o.uid, o.apiVersion, e.type, e.reason, e.reportingComponent, e.reportingInstance]
    .map((x) => x ?? '')
    .join('');
  return { aggregateKey, localKey: e.message ?? '' };
}

export interface CorrelatorOptions {
  clock?: Clock;
  spamBurst?: number;
  spamQps?: number;
  spamKeyFunc?: (e: CoreEvent) => string;
  maxEvents?: number;
  maxIntervalSeconds?: number;
  lruSize?: number;
}

export interface CorrelateResult {
  /** The event to write (a copy; the input is not modified). */
  event: CoreEvent;
  /** When set, PATCH the existing event with this strategic-merge patch instead of creating one. */
  patch?: { count: number; lastTimestamp?: string; message?: string };
  skip: boolean;
}

interface AggregateRecord {
  localKeys: Set<string>;
  lastTimestamp: number;
}

interface EventLog {
  count: number;
  firstTimestamp?: string;
  name?: string;
  resourceVersion?: string;
}

/**
 * The nanosecond stamp of a new Event's name. Upstream names events after
 * UnixNano, so two writers almost never pick the same name; our clock has
 * millisecond resolution, and two components reacting to the same change
 * (a controller and a node agent) often write their events about one object
 * in the same millisecond: the second create then fails with AlreadyExists
 * and its event is lost. A random sub-millisecond part restores upstream's odds.
 */
export function eventNameNanos(ms: number): bigint {
  return BigInt(Math.floor(ms)) * 1_000_000n + BigInt(randomInt(1_000_000));
}

export class EventCorrelator {
  private readonly clock: Clock;
  private readonly spam: LruCache<string, TokenBucket>;
  private readonly aggregates: LruCache<string, AggregateRecord>;
  private readonly logs: LruCache<string, EventLog>;
  private readonly spamBurst: number;
  private readonly spamQps: number;
  private readonly spamKeyFunc: (e: CoreEvent) => string;
  private readonly maxEvents: number;
  private readonly maxIntervalMs: number;

  constructor(o: CorrelatorOptions = {}) {
    this.clock = o.clock ?? realClock;
    const size = o.lruSize ?? MAX_LRU_ENTRIES;
    this.spam = new LruCache(size);
    this.aggregates = new LruCache(size);
    this.logs = new LruCache(size);
    this.spamBurst = o.spamBurst ?? SPAM_BURST;
    this.spamQps = o.spamQps ?? SPAM_QPS;
    this.spamKeyFunc = o.spamKeyFunc ?? spamKey;
    this.maxEvents = o.maxEvents ?? AGGREGATE_MAX_EVENTS;
    this.maxIntervalMs = (o.maxIntervalSeconds ?? AGGREGATE_INTERVAL_SECONDS) * 1000;
  }

  correlate(input: CoreEvent): CorrelateResult {
    const { event: aggregated, key } = this.aggregate(input);
    const { event, patch } = this.observe(aggregated, key);
    if (this.filter(event)) return { event, skip: true };
    return { event, patch, skip: false };
  }

  /** Record what the server returned so the next repeat patches the right object. */
  updateState(e: CoreEvent): void {
    this.logs.set(eventKey(e), {
      count: e.count ?? 1,
      firstTimestamp: e.firstTimestamp,
      name: e.metadata?.name,
      resourceVersion: e.metadata?.resourceVersion,
    });
  }

  private filter(e: CoreEvent): boolean {
    const key = this.spamKeyFunc(e);
    let bucket = this.spam.get(key);
    if (!bucket) bucket = new TokenBucket(this.spamQps, this.spamBurst, this.clock);
    const ok = bucket.tryAccept();
    this.spam.set(key, bucket);
    return !ok;
  }

  private aggregate(e: CoreEvent): { event: CoreEvent; key: string } {
    const now = this.clock.now();
    const full = eventKey(e);
    const { aggregateKey, localKey } = aggregateKeys(e);
    let rec = this.aggregates.get(aggregateKey);
    if (!rec || now - rec.lastTimestamp > this.maxIntervalMs) rec = { localKeys: new Set(), lastTimestamp: 0 };
    rec.localKeys.add(localKey);
    rec.lastTimestamp = now;
    this.aggregates.set(aggregateKey, rec);
    if (rec.localKeys.size < this.maxEvents) return { event: e, key: full };

    // Keep the set at the threshold so the group stays aggregated while similar events continue.
    const any = rec.localKeys.values().next().value as string;
    rec.localKeys.delete(any);
    const ts = nowTimestamp(new Date(now));
    const combined: CoreEvent = {
      apiVersion: e.apiVersion,
      kind: e.kind,
      metadata: { name: `${ref(e).name ?? ''}.${eventNameNanos(now).toString(16)}`, namespace: e.metadata?.namespace },
      involvedObject: e.involvedObject,
      reason: e.reason,
      message: `(combined from similar events): ${e.message ?? ''}`,
      source: e.source,
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      type: e.type,
      reportingComponent: e.reportingComponent,
      reportingInstance: e.reportingInstance,
    };
    return { event: combined, key: aggregateKey };
  }

  private observe(e: CoreEvent, key: string): { event: CoreEvent; patch?: CorrelateResult['patch'] } {
    const event: CoreEvent = { ...e, metadata: { ...e.metadata } };
    const last = this.logs.get(key);
    let patch: CorrelateResult['patch'];
    if (last && last.count > 0) {
      event.metadata.name = last.name;
      event.metadata.resourceVersion = last.resourceVersion;
      event.firstTimestamp = last.firstTimestamp;
      event.count = last.count + 1;
      patch = { count: event.count, lastTimestamp: event.lastTimestamp, message: event.message };
    }
    this.logs.set(key, { count: event.count ?? 1, firstTimestamp: event.firstTimestamp, name: event.metadata.name, resourceVersion: event.metadata.resourceVersion });
    return { event, patch };
  }
}
