// Keyed exponential back-off as upstream's flowcontrol.Backoff: the first
// failure of a key is retried at once; afterwards each retry waits twice as
// long as the one before, up to max. A key that has not failed for
// resetAfterMs starts over (upstream: twice the maximum, 10 minutes for
// containers). Entries hold two numbers, so thousands of pods cost little.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Quiet time after which a key starts again at initialMs (default 2 × maxMs). */
  resetAfterMs?: number;
  now?: () => number;
}

interface Entry {
  delayMs: number;
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly opts: BackoffOptions) {
    this.now = opts.now ?? Date.now;
  }

  private get resetAfter(): number {
    return this.opts.resetAfterMs ?? 2 * this.opts.maxMs;
  }

  /** The current delay of a key, 0 when it has none. */
  get(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  /** Records a failure at eventTime: the delay starts at initialMs or doubles. */
  next(key: string, eventTime = this.now()): void {
    const e = this.entries.get(key);
    if (!e || eventTime - e.lastUpdate > this.resetAfter) {
      this.entries.set(key, { delayMs: this.opts.initialMs, lastUpdate: eventTime });
      return;
    }
    e.delayMs = Math.min(e.delayMs * 2, this.opts.maxMs);
    e.lastUpdate = eventTime;
  }

  /** True while the key's delay since eventTime has not yet passed. */
  isInBackOffSince(key: string, eventTime: number): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    if (this.now() - e.lastUpdate > this.resetAfter) return false;
    return this.now() - eventTime < e.delayMs;
  }

  /** True while the delay since the key's last failure has not yet passed (image pulls). */
  isInBackOffSinceUpdate(key: string): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    if (this.now() - e.lastUpdate > this.resetAfter) return false;
    return this.now() - e.lastUpdate < e.delayMs;
  }

  /** When the key may be retried, if it is in back-off since eventTime. */
  retryAt(key: string, eventTime: number): number | undefined {
    const e = this.entries.get(key);
    return e ? eventTime + e.delayMs : undefined;
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Forget every key with this prefix (all containers of a removed pod). */
  resetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  /** Drop entries idle longer than the reset period. */
  gc(): void {
    const now = this.now();
    for (const [k, e] of this.entries) if (now - e.lastUpdate > this.resetAfter) this.entries.delete(k);
  }
}
