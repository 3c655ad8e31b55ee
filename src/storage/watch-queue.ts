// Per-watcher delivery: events are queued synchronously by whoever produced
// them (a commit, an etcd response) and handed to the watcher from a
// microtask, one at a time. A handler that returns a promise holds back only
// its own queue, never the producer or other watchers; a queue that grows past
// its limit ends the watch with Expired ("too slow, re-list"), the way
// upstream's cacher drops an unresponsive watcher instead of blocking.
import { StorageError } from './errors.js';
import type { WatchEvent, WatchHandlers, Watcher } from './interface.js';
import { logger } from '../util/log.js';

const log = logger('storage');

/** Default number of undelivered events a watcher may hold before it is dropped. */
export const DEFAULT_WATCH_QUEUE_LIMIT = 10_000;

export interface WatchQueueOptions {
  key: string;
  limit?: number;
  /** Emit BOOKMARK events this often, when the queue is idle. */
  bookmarkIntervalMs?: number;
  /** The revision a bookmark may claim: every event up to it has been queued. */
  progress?: () => number;
  /** Called once when the queue ends for any reason (stop, error). */
  onClose?: () => void;
}

export class WatchQueue implements Watcher {
  private items: WatchEvent[] = [];
  private head = 0;
  private draining = false;
  /** The handler returned a promise that has not settled yet. */
  private awaiting = false;
  private scheduled = false;
  private closed = false;
  private pendingError: Error | null = null;
  private timer: NodeJS.Timeout | null = null;
  private idleWaiter: (() => void) | null = null;
  private readonly limit: number;
  /** Revision of the last event (not bookmark) queued. */
  lastQueued = 0;
  private lastBookmark = 0;

  constructor(
    private readonly handlers: WatchHandlers,
    private readonly opts: WatchQueueOptions,
  ) {
    this.limit = opts.limit ?? DEFAULT_WATCH_QUEUE_LIMIT;
    if (opts.bookmarkIntervalMs && opts.bookmarkIntervalMs > 0 && opts.progress) {
      const progress = opts.progress;
      this.timer = setInterval(() => this.bookmark(progress()), opts.bookmarkIntervalMs);
    }
  }

  get stopped(): boolean {
    return this.closed;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  push(event: WatchEvent): void {
    if (this.closed || this.pendingError) return;
    // Only a consumer that is sitting on an event counts as slow: a burst
    // queued in one tick drains in the next microtask.
    if (this.awaiting && this.items.length - this.head >= this.limit) {
      this.fail(
        new StorageError('Expired', this.opts.key, `watch of ${this.opts.key} terminated: consumer too slow (${this.limit} events behind), re-list and watch again`, event.revision),
        true,
      );
      return;
    }
    if (event.type !== 'BOOKMARK') this.lastQueued = event.revision;
    this.items.push(event);
    this.schedule();
  }

  /**
   * A bookmark only when nothing is waiting (so it never delays real events)
   * and only when it moves forward.
   */
  bookmark(revision: number): void {
    if (this.closed || this.pendingError || this.length > 0 || this.draining) return;
    if (revision <= this.lastBookmark || revision < this.lastQueued) return;
    this.lastBookmark = revision;
    this.push({ type: 'BOOKMARK', key: this.opts.key, value: '', revision, createRevision: 0 });
  }

  /**
   * Run fn (from a later macrotask) once every queued event has been handled;
   * producers that read in batches use it to keep one batch in memory.
   */
  whenIdle(fn: () => void): void {
    if (this.closed) return;
    this.idleWaiter = fn;
    if (!this.draining && !this.scheduled && this.length === 0) this.wakeIdle();
  }

  private wakeIdle(): void {
    const fn = this.idleWaiter;
    if (!fn) return;
    this.idleWaiter = null;
    setImmediate(() => {
      if (!this.closed) fn();
    });
  }

  /**
   * End the watch with an error: after the queued events, or with dropPending
   * right away, even while the handler is still busy with an event.
   */
  fail(err: Error, dropPending = false): void {
    if (this.closed || this.pendingError) return;
    if (dropPending) {
      this.finish(err);
      return;
    }
    this.pendingError = err;
    this.schedule();
  }

  stop(): void {
    if (this.closed) return;
    this.close();
  }

  private close(): void {
    this.closed = true;
    this.idleWaiter = null;
    this.items = [];
    this.head = 0;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.opts.onClose?.();
  }

  private schedule(): void {
    if (this.scheduled || this.draining) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    while (!this.closed && this.head < this.items.length) {
      const event = this.items[this.head++];
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      let result: void | Promise<void>;
      try {
        result = this.handlers.onEvent(event);
      } catch (err) {
        log.error({ err, key: this.opts.key }, 'watch handler threw; event skipped');
        continue;
      }
      if (result && typeof (result as Promise<void>).then === 'function') {
        this.awaiting = true;
        (result as Promise<void>).then(
          () => this.resume(),
          (err: unknown) => {
            log.error({ err, key: this.opts.key }, 'watch handler rejected; event skipped');
            this.resume();
          },
        );
        return;
      }
    }
    this.draining = false;
    this.finishIfFailed();
    if (this.length === 0) this.wakeIdle();
  }

  private resume(): void {
    this.awaiting = false;
    this.draining = false;
    this.drain();
  }

  private finishIfFailed(): void {
    if (this.closed || !this.pendingError || this.head < this.items.length) return;
    this.finish(this.pendingError);
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
}
