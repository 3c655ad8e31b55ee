// Upstream's TimedWorkerQueue: one timer per key that runs the handler at
// its fire time. Cancelling before then drops it; once fired, the entry
// goes away when the handler finishes.

interface Entry {
  createdAt: number;
  fireAt: number;
  timer?: NodeJS.Timeout;
}

export class TimedWorkers {
  private readonly entries = new Map<string, Entry>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly handler: (key: string) => Promise<void>) {}

  get(key: string): { createdAt: number; fireAt: number } | undefined {
    const e = this.entries.get(key);
    return e && { createdAt: e.createdAt, fireAt: e.fireAt };
  }

  add(key: string, createdAt: number, fireAt: number): void {
    if (this.entries.has(key)) return;
    const e: Entry = { createdAt, fireAt };
    this.entries.set(key, e);
    e.timer = setTimeout(() => {
      e.timer = undefined;
      const run = this.handler(key)
        .catch(() => undefined)
        .finally(() => {
          if (this.entries.get(key) === e) this.entries.delete(key);
          this.running.delete(run);
        });
      this.running.add(run);
    }, Math.max(0, fireAt - Date.now()));
  }

  /** true when a pending (not yet fired) entry was cancelled. */
  cancel(key: string): boolean {
    const e = this.entries.get(key);
    if (!e?.timer) return false;
    clearTimeout(e.timer);
    this.entries.delete(key);
    return true;
  }

  cancelAll(): void {
    for (const key of [...this.entries.keys()]) this.cancel(key);
  }

  async drain(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }
}
