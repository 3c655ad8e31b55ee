import { defaultControllerRateLimiter, type RateLimiter } from './ratelimiters.js';

// client-go's workqueue on one event loop. The guarantees controllers rely
// on: an item queued twice is processed once (dirty set); an item is never
// handed to two workers at once (processing set), and an add while it is
// being processed is deferred until done(); items come out in FIFO order.

export class WorkQueue<T = string> {
  private queue: T[] = [];
  private head = 0;
  private readonly dirty = new Set<T>();
  private readonly processing = new Set<T>();
  private waiters: Array<(item: T | undefined) => void> = [];
  private drainWaiters: Array<() => void> = [];
  private shutting = false;

  add(item: T): void {
    if (this.shutting || this.dirty.has(item)) return;
    this.dirty.add(item);
    if (this.processing.has(item)) return;
    this.enqueue(item);
  }

  private enqueue(item: T): void {
    const w = this.waiters.shift();
    if (w) {
      this.dirty.delete(item);
      this.processing.add(item);
      w(item);
      return;
    }
    this.queue.push(item);
  }

  /** Items waiting (not counting those being processed). */
  len(): number {
    return this.queue.length - this.head;
  }

  /**
   * The next item, once one is available. Resolves undefined when the queue
   * is shut down and empty; queued items are still handed out after shutDown.
   * Every item returned must be passed to done().
   */
  get(): Promise<T | undefined> {
    if (this.len() > 0) {
      const item = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.dirty.delete(item);
      this.processing.add(item);
      return Promise.resolve(item);
    }
    if (this.shutting) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Mark the item finished; if it was re-added meanwhile it is queued now. */
  done(item: T): void {
    if (!this.processing.delete(item)) return;
    if (this.dirty.has(item)) this.enqueue(item);
    if (this.processing.size === 0) for (const w of this.drainWaiters.splice(0)) w();
  }

  /** Stop accepting items; waiting get() calls resolve undefined. */
  shutDown(): void {
    this.shutting = true;
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** shutDown, then wait until every item handed out has been marked done. */
  async shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return;
    await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  shuttingDown(): boolean {
    return this.shutting;
  }
}

/** A WorkQueue with addAfter; an item waiting twice keeps the earlier ready time. */
export class DelayingQueue<T = string> extends WorkQueue<T> {
  private readonly waiting = new Map<T, number>();
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;

  addAfter(item: T, delayMs: number): void {
    if (this.shuttingDown()) return;
    if (delayMs <= 0) {
      this.add(item);
      return;
    }
    const readyAt = Date.now() + delayMs;
    const prev = this.waiting.get(item);
    if (prev !== undefined && prev <= readyAt) return;
    this.waiting.set(item, readyAt);
    if (readyAt < this.timerAt) this.arm(readyAt);
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - Date.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [item, at] of this.waiting) {
      if (at <= now) {
        this.waiting.delete(item);
        this.add(item);
      } else if (at < next) {
        next = at;
      }
    }
    if (next < Infinity) this.arm(next);
  }

  /** Items waiting for their delay to pass. */
  numWaiting(): number {
    return this.waiting.size;
  }

  override shutDown(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.waiting.clear();
    super.shutDown();
  }
}

/** A DelayingQueue whose retries are spaced by a RateLimiter (default: client-go's DefaultControllerRateLimiter). */
export class RateLimitingQueue<T = string> extends DelayingQueue<T> {
  constructor(readonly rateLimiter: RateLimiter<T> = defaultControllerRateLimiter<T>()) {
    super();
  }

  addRateLimited(item: T): void {
    this.addAfter(item, this.rateLimiter.when(item));
  }

  /** The item succeeded: reset its back-off. */
  forget(item: T): void {
    this.rateLimiter.forget(item);
  }

  numRequeues(item: T): number {
    return this.rateLimiter.numRequeues(item);
  }
}
