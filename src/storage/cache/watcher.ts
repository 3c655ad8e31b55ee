// One client watch served by the cache: a cursor into its source's ring.
// Delivery runs from a microtask, one event at a time; a handler's promise
// holds back only this watcher. A watcher whose cursor falls further behind
// than lagLimit (or out of the ring) is terminated with Expired, the way
// upstream's cacher drops a watcher that cannot keep up rather than letting
// it slow the others down.
import { StorageError } from '../errors.js';
import type { WatchEvent, WatchHandlers, WatchTrigger, Watcher } from '../interface.js';
import { logger } from '../../util/log.js';
import type { WatchSource } from './source.js';

const log = logger('storage');

export interface CacheWatcherOptions {
  key: string;
  /** Deliver only events after this revision. */
  after: number;
  matches: (key: string) => boolean;
  lagLimit: number;
  bookmarkIntervalMs?: number;
  /** Events whose trigger values leave this one out are skipped (the source does not even pump the watcher for them). */
  trigger?: WatchTrigger;
}

// Each event's trigger values, computed once whichever watcher asks first.
const triggerValues = new WeakMap<WatchEvent, readonly string[] | null>();

/** An event's trigger values; null when they cannot be told (every watcher must look). */
export function triggerValuesOf(of: WatchTrigger['of'], event: WatchEvent): readonly string[] | null {
  let values = triggerValues.get(event);
  if (values === undefined) {
    let v: readonly string[] | undefined;
    try {
      v = of(event);
    } catch {
      v = undefined;
    }
    values = v ?? null;
    triggerValues.set(event, values);
  }
  return values;
}

/** Whether an event can matter to a watcher with this trigger. */
function triggerHit(t: WatchTrigger, event: WatchEvent): boolean {
  const values = triggerValuesOf(t.of, event);
  return values === null || values.includes(t.value);
}

export class CacheWatcher implements Watcher {
  private nextSeq: number;
  /** Revision of the last event delivered (or the start). */
  private lastEvent: number;
  /** Bookmarks only move forward. */
  private lastBookmark = 0;
  private draining = false;
  /** The handler returned a promise that has not settled yet. */
  private awaiting = false;
  private scheduled = false;
  private closed = false;
  private pendingError: Error | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly source: WatchSource,
    private readonly handlers: WatchHandlers,
    private readonly opts: CacheWatcherOptions,
  ) {
    this.nextSeq = source.ring.firstAfter(opts.after);
    this.lastEvent = opts.after;
    source.attach(this, opts.trigger);
    if (opts.bookmarkIntervalMs && opts.bookmarkIntervalMs > 0) {
      this.timer = setInterval(() => this.bookmark(), opts.bookmarkIntervalMs);
    }
    if (this.nextSeq < source.ring.next) this.schedule();
  }

  /** The source appended events: deliver them now (from its dispatch microtask). */
  pump(): void {
    if (this.closed || this.pendingError) return;
    const ring = this.source.ring;
    // Lost events always end the watch; lag only when the consumer is
    // sitting on an event (a burst appended in one tick drains right here).
    if (this.nextSeq < ring.oldest || (this.awaiting && ring.next - this.nextSeq > this.opts.lagLimit)) {
      this.terminate();
      return;
    }
    if (!this.draining && !this.scheduled) this.drain();
  }

  /**
   * The source appended events from seq `from` to `to` and none can matter to
   * this watcher: move past them without walking them, when nothing else is
   * pending (otherwise pump, which skips them one by one).
   */
  skip(from: number, to: number): void {
    if (this.nextSeq === from && !this.draining && !this.scheduled && !this.awaiting && !this.closed && !this.pendingError) this.nextSeq = to;
    else this.pump();
  }

  get trigger(): WatchTrigger | undefined {
    return this.opts.trigger;
  }

  /** The source's storage watch ended: deliver what is buffered, then the error. */
  sourceFailed(err: Error): void {
    if (this.closed || this.pendingError) return;
    this.pendingError = err;
    this.schedule();
  }

  stop(): void {
    this.close();
  }

  /** Too far behind: end now, even while a handler is still busy with an event. */
  private terminate(): void {
    const err = new StorageError(
      'Expired',
      this.opts.key,
      `watch of ${this.opts.key} terminated: consumer too slow (more than ${this.opts.lagLimit} events behind), re-list and watch again`,
      this.source.floor,
    );
    this.finish(err);
  }

  private finish(err: Error): void {
    if (this.closed) return;
    this.close();
    // Never call back into the consumer from inside the producer's call stack.
    queueMicrotask(() => {
      try {
        this.handlers.onError(err);
      } catch (handlerErr) {
        log.error({ err: handlerErr, key: this.opts.key }, 'watch error handler threw');
      }
    });
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.source.detach(this);
  }

  private schedule(): void {
    if (this.scheduled || this.draining || this.closed) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    if (this.draining || this.closed) return;
    this.draining = true;
    const ring = this.source.ring;
    while (!this.closed && this.nextSeq < ring.next) {
      const event = ring.at(this.nextSeq);
      if (!event) {
        this.draining = false;
        this.terminate();
        return;
      }
      this.nextSeq++;
      if (event.revision <= this.opts.after || !this.opts.matches(event.key)) continue;
      if (this.opts.trigger && !triggerHit(this.opts.trigger, event)) continue;
      this.lastEvent = event.revision;
      if (this.deliver(event)) return;
    }
    this.draining = false;
    if (this.pendingError && this.nextSeq >= ring.next) this.finish(this.pendingError);
  }

  /** Hand one event over; true when the handler asked us to wait. */
  private deliver(event: WatchEvent): boolean {
    let result: void | Promise<void>;
    try {
      result = this.handlers.onEvent(event);
    } catch (err) {
      log.error({ err, key: this.opts.key }, 'watch handler threw; event skipped');
      return false;
    }
    if (!result || typeof (result as Promise<void>).then !== 'function') return false;
    this.awaiting = true;
    (result as Promise<void>).then(
      () => this.resume(),
      (err: unknown) => {
        log.error({ err, key: this.opts.key }, 'watch handler rejected; event skipped');
        this.resume();
      },
    );
    return true;
  }

  private resume(): void {
    this.awaiting = false;
    this.draining = false;
    this.drain();
  }

  private bookmark(): void {
    if (this.closed || this.draining || this.scheduled || this.pendingError) return;
    if (this.nextSeq < this.source.ring.next) return;
    const revision = this.source.progress;
    if (revision <= this.lastBookmark || revision < this.lastEvent) return;
    this.lastBookmark = revision;
    this.draining = true;
    const waiting = this.deliver({ type: 'BOOKMARK', key: this.opts.key, value: '', revision, createRevision: 0 });
    if (!waiting) this.resume();
  }
}
