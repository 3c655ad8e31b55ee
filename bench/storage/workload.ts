// The store side of the storage benchmark: each operation at a given
// concurrency through the Store interface, and watch delivery latency.
import type { Store, Watcher } from '../../src/storage/interface.js';
import { runConcurrent, summarize } from '../lib/stats.js';

export interface Measured {
  opsPerSec: number;
  p50: number;
  p99: number;
}

export interface OpFigures {
  create: Measured;
  update: Measured;
  get: Measured;
  /** List of the freshly created keys. */
  list: Measured;
  /** The same list after one update per key, before compaction removed the old versions. */
  listHistory: Measured;
}

function measured(n: number, r: { latencies: number[]; seconds: number }): Measured {
  const s = summarize(r.latencies);
  return { opsPerSec: n / r.seconds, p50: s.p50, p99: s.p99 };
}

/** A ConfigMap-sized JSON value, as the API server would store. */
export function sampleValue(): string {
  return JSON.stringify({
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: {
      name: 'bench',
      namespace: 'default',
      uid: '6f1c1c2e-3b1d-4a8e-9d0a-2f5d8f3b9c11',
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { app: 'bench', tier: 'storage' },
      managedFields: [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', time: '2026-01-01T00:00:00Z' }],
    },
    data: { config: 'x'.repeat(300) },
  });
}

/**
 * Creates n keys under prefix, lists them, updates and reads them, then lists
 * again (now with one superseded version per key).
 */
export async function runOps(store: Store, prefix: string, n: number, concurrency: number, lists: number): Promise<OpFigures> {
  const value = sampleValue();
  const key = (i: number): string => `${prefix}k${String(i).padStart(6, '0')}`;
  const revs = new Array<number>(n);
  const create = await runConcurrent(n, concurrency, async (i) => {
    revs[i] = (await store.create(key(i), value)).modRevision;
  });
  const listAll = async (): Promise<{ latencies: number[]; seconds: number }> => {
    const check = async () => {
      const res = await store.list(prefix);
      if (res.items.length !== n) throw new Error(`list returned ${res.items.length} items, expected ${n}`);
    };
    await check(); // warm-up, untimed
    return runConcurrent(lists, Math.min(concurrency, lists), check);
  };
  const list = await listAll();
  const changed = value.replace('"tier":"storage"', '"tier":"updated"');
  const update = await runConcurrent(n, concurrency, async (i) => {
    revs[i] = (await store.update(key(i), changed, revs[i])).modRevision;
  });
  const get = await runConcurrent(n, concurrency, async (i) => {
    await store.get(key((i * 7919) % n));
  });
  const listHistory = await listAll();
  return {
    create: measured(n, create),
    update: measured(n, update),
    get: measured(n, get),
    list: measured(lists, list),
    listHistory: measured(lists, listHistory),
  };
}

/**
 * Latency from issuing a create to its ADDED event reaching each of
 * `watchers` watchers of the prefix (one sample per event per watcher).
 */
export async function watchLatency(store: Store, prefix: string, writes: number, concurrency: number, watchers: number): Promise<Measured & { samples: number }> {
  const value = sampleValue();
  const issued = new Map<string, number>();
  const latencies: number[] = [];
  let resolveAll!: () => void;
  const all = new Promise<void>((resolve) => (resolveAll = resolve));
  let failure: Error | null = null;
  const warm = `${prefix}warm`;
  let warmSeen = 0;
  let resolveWarm!: () => void;
  const warmed = new Promise<void>((resolve) => (resolveWarm = resolve));
  const from = await store.currentRevision();
  const handles: Watcher[] = [];
  for (let w = 0; w < watchers; w++) {
    handles.push(
      store.watch(
        { key: prefix, recursive: true, fromRevision: from },
        {
          onEvent: (e) => {
            if (e.type !== 'ADDED') return;
            latencies.push(performance.now() - issued.get(e.key)!);
            if (e.key === warm && ++warmSeen === watchers) resolveWarm();
            else if (latencies.length === writes * watchers) resolveAll();
          },
          onError: (err) => {
            failure = err;
            resolveWarm();
            resolveAll();
          },
        },
      ),
    );
  }
  // Warm up: the storage watch is established and every watcher is live
  // before anything is timed.
  issued.set(warm, performance.now());
  await store.create(warm, value);
  await warmed;
  latencies.length = 0;
  const run = await runConcurrent(writes, concurrency, async (i) => {
    const key = `${prefix}w${i}`;
    issued.set(key, performance.now());
    await store.create(key, value);
  });
  await all;
  for (const h of handles) h.stop();
  if (failure) throw failure;
  const s = summarize(latencies);
  return { opsPerSec: writes / run.seconds, p50: s.p50, p99: s.p99, samples: latencies.length };
}
