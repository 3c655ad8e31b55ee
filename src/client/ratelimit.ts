import { realClock, sleep, type Clock } from './clock.js';

// One token bucket serves three users: the REST client's QPS/burst throttle
// (wait), the workqueue's overall bucket (reserve: a delay, never a refusal)
// and the event spam filter (tryAccept). Like golang.org/x/time/rate, a
// reservation may drive the balance negative so later callers queue behind it.

export class TokenBucket {
  private tokens: number;
  private last: number;

  /** qps <= 0 means unlimited. */
  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly clock: Clock = realClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
      this.last = now;
    }
  }

  /** Take a token if one is available now. */
  tryAccept(): boolean {
    if (this.qps <= 0) return true;
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Take a token, possibly from the future; returns how long (ms) the caller must wait for it. */
  reserve(): number {
    if (this.qps <= 0) return 0;
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  /** Wait until a token is ours. */
  async wait(signal?: AbortSignal): Promise<void> {
    const delay = this.reserve();
    if (delay > 0) await sleep(delay, signal);
  }
}
