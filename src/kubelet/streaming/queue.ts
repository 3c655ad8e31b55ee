/** An unbounded async queue: producers push, one consumer iterates until end(). */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: ((r: IteratorResult<T>) => void) | undefined;
  private ended = false;
  /** The iterating consumer has begun, and holds an item until it asks for the next one. */
  private iterating = false;
  private holding = false;
  private idleWaiters: (() => void)[] = [];

  push(item: T): void {
    if (this.ended) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: item, done: false });
    } else this.items.push(item);
  }

  end(): void {
    this.ended = true;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: undefined, done: true });
    }
    this.wakeIdle();
  }

  /**
   * Whether the iterating consumer still has work from what was pushed: items queued, or the last one taken
   * and not yet done with (a consumer that handles an item before asking for the next is done when it asks).
   * A queue nobody iterates is never busy.
   */
  get busy(): boolean {
    return this.iterating && !this.ended && (this.items.length > 0 || this.holding);
  }

  /** Resolves once the queue is not busy. */
  whenIdle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private wakeIdle(): void {
    if (this.busy || !this.idleWaiters.length) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** The next item, or undefined if none comes within `ms` (or the queue ends first); nothing is lost on timeout. */
  shift(ms: number): Promise<T | undefined> {
    if (this.items.length) return Promise.resolve(this.items.shift());
    if (this.ended || this.waiter) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.waiter === waiter) this.waiter = undefined;
        resolve(undefined);
      }, ms);
      const waiter = (r: IteratorResult<T>): void => {
        clearTimeout(timer);
        resolve(r.done ? undefined : r.value);
      };
      this.waiter = waiter;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        this.iterating = true;
        this.holding = this.items.length > 0;
        if (this.holding) return Promise.resolve({ value: this.items.shift()!, done: false });
        this.wakeIdle();
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiter = (r) => {
            this.holding = !r.done;
            resolve(r);
          };
        });
      },
      return: () => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

/** Reads a stream of concatenated JSON objects ({"Width":80,"Height":24}{...}) as the resize streams carry them. */
export class JsonObjectSplitter {
  private buf = '';

  push(text: string): unknown[] {
    this.buf += text;
    const out: unknown[] = [];
    let depth = 0;
    let inString = false;
    let start = -1;
    for (let i = 0; i < this.buf.length; i++) {
      const c = this.buf[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{') {
        if (depth++ === 0) start = i;
      } else if (c === '}' && depth > 0 && --depth === 0) {
        try {
          out.push(JSON.parse(this.buf.slice(start, i + 1)));
        } catch {
          // a malformed size is skipped, as upstream logs and ignores it
        }
        this.buf = this.buf.slice(i + 1);
        i = -1;
      }
    }
    return out;
  }
}
