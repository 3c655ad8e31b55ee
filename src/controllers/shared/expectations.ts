// Controller expectations, as upstream's ControllerExpectations: after a sync
// asks for N creations or deletions, the informer cache lags until the
// matching watch events arrive. A controller that synced again before then
// would count the old pods and act twice; so it waits until every create and
// delete it issued has been observed (or the expectation is 5 minutes old,
// in case an event was lost).

export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Expectation {
  add: number;
  del: number;
  at: number;
  /** Keys of pods we asked to delete and have not yet seen go. */
  deleting: Set<string>;
}

export class Expectations {
  private readonly items = new Map<string, Expectation>();

  constructor(private readonly now: () => number = Date.now) {}

  /** True when the controller may act on what its cache shows. */
  satisfied(key: string): boolean {
    const e = this.items.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.now() - e.at > EXPECTATIONS_TIMEOUT_MS;
  }

  expectCreations(key: string, n: number): void {
    this.items.set(key, { add: n, del: 0, at: this.now(), deleting: new Set() });
  }

  /** Expect the deletion of these pod keys. */
  expectDeletions(key: string, podKeys: string[]): void {
    this.items.set(key, { add: 0, del: podKeys.length, at: this.now(), deleting: new Set(podKeys) });
  }

  /** Both at once, for controllers that create and delete in one step (DaemonSets). */
  expect(key: string, creations: number, podKeys: string[]): void {
    this.items.set(key, { add: creations, del: podKeys.length, at: this.now(), deleting: new Set(podKeys) });
  }

  creationObserved(key: string): void {
    const e = this.items.get(key);
    if (e) e.add--;
  }

  /** A pod went (or we gave up on deleting it); counted once per pod key. */
  deletionObserved(key: string, podKey?: string): void {
    const e = this.items.get(key);
    if (!e) return;
    if (podKey !== undefined) {
      if (!e.deleting.delete(podKey)) return;
    }
    e.del--;
  }

  /** Lower the pending counts without new events, e.g. when creates were skipped. */
  lower(key: string, add: number, del: number): void {
    const e = this.items.get(key);
    if (!e) return;
    e.add -= add;
    e.del -= del;
  }

  delete(key: string): void {
    this.items.delete(key);
  }

  pending(key: string): { add: number; del: number } | undefined {
    const e = this.items.get(key);
    return e ? { add: e.add, del: e.del } : undefined;
  }
}
