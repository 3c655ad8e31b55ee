import { hostname } from 'node:os';
import { format } from 'node:util';
import type { KubeObject } from '../../api/types.js';
import { nowTimestamp } from '../../api/types.js';
import { StatusError } from '../../api/errors.js';
import type { RestClient } from '../rest.js';
import type { ResourceRef } from '../paths.js';
import { isNotFound, isAlreadyExists } from '../status.js';
import { sleep, realClock, type Clock } from '../clock.js';
import { EventCorrelator, eventNameNanos, type CorrelatorOptions } from './correlator.js';
import type { CoreEvent, EventType, ObjectReference } from './types.js';
import { logger } from '../../util/log.js';

// Records core/v1 Events for a component as client-go's record package does.
// event() only builds the event and queues it; one background writer runs
// each through the correlator and creates or patches it, so a slow or
// unreachable API server never blocks a controller's sync loop. When the
// queue is full the event is dropped with a log line, as upstream's
// broadcaster does.

const log = logger('client');

export const EVENTS: ResourceRef = { group: '', version: 'v1', resource: 'events', namespaced: true };

export interface EventRecorderOptions {
  component: string;
  /** source.host; defaults to the machine's hostname. */
  host?: string;
  /** reportingInstance; defaults to host. */
  reportingInstance?: string;
  /** Events waiting to be written before new ones are dropped (default 1000). */
  maxQueued?: number;
  /** Attempts per event on connection failures (default 12) and the pause between them (default 10 s). */
  maxTries?: number;
  retryDelayMs?: number;
  correlator?: CorrelatorOptions;
  clock?: Clock;
}

export type Referable = KubeObject | ObjectReference;

function isKubeObject(x: Referable): x is KubeObject {
  return typeof (x as KubeObject).metadata === 'object' && (x as KubeObject).metadata !== null;
}

/** The ObjectReference an event points at; kind and name are required. */
export function referenceTo(obj: Referable, fieldPath?: string): ObjectReference {
  const r: ObjectReference = isKubeObject(obj)
    ? {
        kind: obj.kind,
        namespace: obj.metadata.namespace,
        name: obj.metadata.name,
        uid: obj.metadata.uid,
        apiVersion: obj.apiVersion,
        resourceVersion: obj.metadata.resourceVersion,
      }
    : { ...obj };
  if (fieldPath) r.fieldPath = fieldPath;
  for (const k of Object.keys(r) as (keyof ObjectReference)[]) if (r[k] === undefined || r[k] === '') delete r[k];
  return r;
}

export class EventRecorder {
  private readonly correlator: EventCorrelator;
  private readonly clock: Clock;
  private readonly host: string;
  private readonly queue: CoreEvent[] = [];
  private draining?: Promise<void>;
  private closed = false;
  private lastNanos = 0n;
  private readonly stopAc = new AbortController();

  constructor(
    private readonly client: RestClient,
    private readonly opts: EventRecorderOptions,
  ) {
    this.clock = opts.clock ?? realClock;
    this.correlator = new EventCorrelator({ clock: this.clock, ...opts.correlator });
    this.host = opts.host ?? hostname();
  }

  event(obj: Referable, type: EventType, reason: string, message: string): void {
    this.record(obj, undefined, type, reason, message);
  }

  /** printf-style message (%s, %d, %v, %j as node's util.format). */
  eventf(obj: Referable, type: EventType, reason: string, fmt: string, ...args: unknown[]): void {
    this.record(obj, undefined, type, reason, format(fmt, ...args));
  }

  /** Event about a part of the object, e.g. fieldPath "spec.containers{nginx}". */
  eventWithFieldPath(obj: Referable, fieldPath: string, type: EventType, reason: string, message: string): void {
    this.record(obj, fieldPath, type, reason, message);
  }

  private record(obj: Referable, fieldPath: string | undefined, type: EventType, reason: string, message: string): void {
    if (type !== 'Normal' && type !== 'Warning') {
      log.error({ type }, 'unsupported event type');
      return;
    }
    const ref = referenceTo(obj, fieldPath);
    if (!ref.kind || !ref.name) {
      log.error({ ref, reason }, 'could not construct reference for event: kind and name are required');
      return;
    }
    if (this.closed) return;
    const max = this.opts.maxQueued ?? 1000;
    if (this.queue.length >= max) {
      log.warn({ object: `${ref.namespace ?? ''}/${ref.name}`, reason, message }, 'event queue full, dropping event');
      return;
    }
    this.queue.push(this.makeEvent(ref, type, reason, message));
    this.draining ??= this.drain();
  }

  /** Unique, increasing nanosecond stamp: two events in the same millisecond must not share a name. */
  private nanosName(ms: number): string {
    let n = eventNameNanos(ms);
    if (n <= this.lastNanos) n = this.lastNanos + 1n;
    this.lastNanos = n;
    return n.toString(16);
  }

  private makeEvent(ref: ObjectReference, type: EventType, reason: string, message: string): CoreEvent {
    const ms = this.clock.now();
    const ts = nowTimestamp(new Date(ms));
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${ref.name}.${this.nanosName(ms)}`, namespace: ref.namespace || 'default' },
      involvedObject: ref,
      reason,
      message,
      source: { component: this.opts.component, host: this.host },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: this.opts.component,
      reportingInstance: this.opts.reportingInstance ?? this.host,
    };
  }

  private async drain(): Promise<void> {
    for (;;) {
      const e = this.queue.shift();
      if (e === undefined) {
        // Cleared in the same tick the queue is seen empty, so a record() right after starts a new writer.
        this.draining = undefined;
        return;
      }
      try {
        await this.recordToSink(e);
      } catch (err) {
        log.error({ err }, 'unexpected error recording event');
      }
    }
  }

  private async recordToSink(input: CoreEvent): Promise<void> {
    const result = this.correlator.correlate(input);
    if (result.skip) return;
    const maxTries = this.opts.maxTries ?? 12;
    for (let tries = 1; ; tries++) {
      if (await this.write(result.event, result.patch)) return;
      if (tries >= maxTries || this.stopAc.signal.aborted) {
        log.error({ event: result.event.metadata.name }, 'unable to write event, giving up');
        return;
      }
      const delay = this.opts.retryDelayMs ?? 10_000;
      // The first pause is randomized so recorders restarted together do not retry in lockstep.
      await sleep(tries === 1 ? Math.random() * delay : delay, this.stopAc.signal);
    }
  }

  /** true when done with the event (written, or failed in a way retrying cannot fix). */
  private async write(event: CoreEvent, patch: { count: number } | undefined): Promise<boolean> {
    const ns = event.metadata.namespace;
    try {
      let written: CoreEvent | undefined;
      if (patch) {
        try {
          written = await this.client.patch<CoreEvent>(EVENTS, ns, event.metadata.name!, 'strategic', patch);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      // A repeat whose event expired or was deleted is created anew under the same name.
      written ??= await this.client.create<CoreEvent>(EVENTS, ns, { ...event, metadata: { ...event.metadata, resourceVersion: undefined } });
      this.correlator.updateState(written);
      return true;
    } catch (err) {
      if (err instanceof StatusError) {
        if (isAlreadyExists(err)) log.info({ event: event.metadata.name }, 'server rejected event (will not retry): already exists');
        else log.error({ event: event.metadata.name, err: err.message }, 'server rejected event (will not retry)');
        return true;
      }
      log.warn({ event: event.metadata.name, err: (err as Error).message }, 'unable to write event, may retry');
      return false;
    }
  }

  /** Resolves once every queued event has been written (or given up on). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Stop accepting events, cut retries short, and wait for the writer. */
  async shutdown(): Promise<void> {
    this.closed = true;
    this.stopAc.abort();
    await this.flush();
  }
}
