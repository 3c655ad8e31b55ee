// The two structures an IdleFleet and the Lease worker walk their nodes
// with: a FIFO of node indexes and one timer that visits node i at i/N of
// every period.

/** A FIFO of node indexes without Array#shift's copying once it holds thousands. */
export class IndexQueue {
  private items: number[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(i: number): void {
    this.items.push(i);
  }

  shift(): number | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head++]!;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/** Calls fn(i) for node i at i/count of every period, all nodes on one timer. */
export class IndexWheel {
  private timer?: NodeJS.Timeout;
  private done = 0;
  private readonly start = Date.now();

  constructor(
    private readonly count: number,
    private readonly periodMs: number,
    /** Where in the period node 0 falls, as a fraction (spreads two wheels of the same period apart). */
    private readonly phase: number,
    private readonly fn: (index: number) => void,
  ) {}

  run(): void {
    if (this.timer || this.count === 0) return;
    const stepMs = this.periodMs / this.count;
    const offset = this.phase * this.count;
    this.done = Math.floor((Date.now() - this.start) / stepMs + offset);
    this.timer = setInterval(() => {
      const due = Math.floor((Date.now() - this.start) / stepMs + offset);
      // After a stall, each node once rather than a backlog of periods.
      if (due - this.done > this.count) this.done = due - this.count;
      for (; this.done < due; this.done++) this.fn(this.done % this.count);
    }, Math.max(10, Math.min(100, stepMs)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
