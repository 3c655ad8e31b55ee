// What the conformance suite needs from a backend under test, and small
// helpers its tests share.
import assert from 'node:assert/strict';
import { isStorageError, type StorageErrorCode } from '../../../src/storage/errors.js';
import type { Store, WatchEvent, WatchOptions, Watcher } from '../../../src/storage/interface.js';

export interface Harness {
  /** Open the store under test; after close(), opens again on the same data. */
  open(): Promise<Store>;
  /**
   * Replace the stored bytes of key with raw (the store is closed while
   * this runs), as disk corruption or a foreign writer would.
   */
  corrupt(key: string, raw: Buffer): Promise<void>;
  /** Remove everything the harness created. */
  cleanup(): Promise<void>;
  /** True when watch fan-out goes through the watch cache. */
  cached: boolean;
}

export type HarnessFactory = () => Promise<Harness>;

/** Run fn against a fresh store; fn may swap the store (reopen) via the setter. */
export async function withStore(
  factory: HarnessFactory,
  fn: (ctx: { store: Store; harness: Harness; reopen(): Promise<Store> }) => Promise<void>,
): Promise<void> {
  const harness = await factory();
  let store = await harness.open();
  const ctx = {
    harness,
    get store() {
      return store;
    },
    async reopen() {
      await store.close();
      store = await harness.open();
      return store;
    },
  };
  try {
    await fn(ctx);
  } finally {
    await store.close();
    await harness.cleanup();
  }
}

export async function rejectsWith(p: Promise<unknown> | (() => unknown), code: StorageErrorCode): Promise<Error> {
  let caught: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, `expected StorageError ${code}, but it succeeded`);
  assert.ok(isStorageError(caught, code), `expected StorageError ${code}, got ${String(caught)}`);
  return caught as Error;
}

/** Collects one watch's events; lets a test wait for a revision without timers. */
export class Collector {
  readonly events: WatchEvent[] = [];
  error: Error | null = null;
  watcher: Watcher | null = null;
  private waiters: Array<{ test: () => boolean; resolve: () => void; reject: (err: Error) => void }> = [];

  static start(store: Store, opts: WatchOptions): Collector {
    const c = new Collector();
    c.watcher = store.watch(opts, c.handlers());
    return c;
  }

  handlers() {
    return {
      onEvent: (event: WatchEvent) => {
        this.events.push(event);
        this.check();
      },
      onError: (err: Error) => {
        this.error = err;
        for (const w of this.waiters) w.reject(err);
        this.waiters = [];
      },
    };
  }

  /** Non-bookmark events. */
  get changes(): WatchEvent[] {
    return this.events.filter((e) => e.type !== 'BOOKMARK');
  }

  /** Resolves once an event (not a bookmark) with revision >= revision arrived. */
  untilRevision(revision: number): Promise<void> {
    return this.until(() => this.changes.some((e) => e.revision >= revision));
  }

  until(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => this.waiters.push({ test, resolve, reject }));
  }

  /** Resolves with the error the watch ended with. */
  failure(): Promise<Error> {
    if (this.error) return Promise.resolve(this.error);
    return new Promise((resolve) => this.waiters.push({ test: () => false, resolve: () => undefined, reject: resolve }));
  }

  stop(): void {
    this.watcher?.stop();
  }

  private check(): void {
    const still = [];
    for (const w of this.waiters) {
      if (w.test()) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}

/** Let queued microtasks and one macrotask run. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
