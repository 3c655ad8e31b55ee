// Upstream's BoundedFrequencyRunner: run() asks for a sync; syncs happen at
// most once per minInterval (changes arriving meanwhile are batched into the
// next one) and at least once per maxInterval; a failed sync is retried.

export class BoundedRunner {
  private timer?: NodeJS.Timeout;
  private periodic?: NodeJS.Timeout;
  private running = false;
  private pending = false;
  private lastStart = -Infinity;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly fn: () => Promise<void>,
    private readonly minIntervalMs: number,
    private readonly maxIntervalMs: number,
    private readonly onPeriodic: () => void = () => {},
  ) {}

  start(): void {
    this.periodic = setInterval(() => {
      this.onPeriodic();
      this.run();
    }, this.maxIntervalMs);
    this.periodic.unref();
    this.run();
  }

  run(): void {
    if (this.stopped) return;
    this.pending = true;
    if (this.running || this.timer) return;
    const wait = Math.max(0, this.lastStart + this.minIntervalMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.loop();
    }, wait);
  }

  /** Retry after a failure, no sooner than delayMs. */
  retryAfter(delayMs: number): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, delayMs);
  }

  private async loop(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    this.pending = false;
    this.lastStart = performance.now();
    try {
      await this.fn();
    } finally {
      this.running = false;
      if (this.pending) this.run();
      else for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Resolves once no sync is running or pending (tests). */
  idle(): Promise<void> {
    if (!this.running && !this.pending && !this.timer) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.periodic);
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
