// The store side of the storage benchmark: each operation at a given
// concurrency through the Store interface, and watch delivery latency.
import type { Store, Watcher } from '../../src/storage/interface.js';
import { runConcurrent, summarize } from '../lib/stats.js';
import { cpuPerOp, type CpuPerOp } from './cpu.js';

export interface Measured {
  opsPerSec: number;
  p50: number;
  p99: number;
  /** CPU per operation (writes on etcd only). */
  cpu?: CpuPerOp;
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
export async function runOps(store: Store, prefix: string, n: number, concurrency: number, lists: number, serverPid: number | null = null): Promise<OpFigures> {
  const value = sampleValue();
  const key = (i: number): string => `${prefix}k${String(i).padStart(6, '0')}`;
  const revs = new Array<number>(n);
  const created = await cpuPerOp(serverPid, n, () =>
    runConcurrent(n, concurrency, async (i) => {
      revs[i] = (await store.create(key(i), value)).modRevision;
    }),
  );
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
  const updated = await cpuPerOp(serverPid, n, () =>
    runConcurrent(n, concurrency, async (i) => {
      revs[i] = (await store.update(key(i), changed, revs[i])).modRevision;
    }),
  );
  const get = await runConcurrent(n, concurrency, async (i) => {
    await store.get(key((i * 7919) % n));
  });
  const listHistory = await listAll();
  return {
    create: { ...measured(n, created.result), cpu: created.cpu },
    update: { ...measured(n, updated.result), cpu: updated.cpu },
    get: measured(n, get),
    list: measured(lists, list),
    listHistory: measured(lists, listHistory),
  };
}

/** Milliseconds on the monotonic clock, which every process on the machine shares (CLOCK_MONOTONIC). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** When each write i was issued and acknowledged, on the monotonic clock. */
export interface WriteTimes {
  issued: number[];
  acked: number[];
  seconds: number;
}

/** Creates `${prefix}w${i}` for i in [0, writes) with `concurrency` in flight. */
export type WatchWriter = (prefix: string, value: string, writes: number, concurrency: number) => Promise<WriteTimes>;

/** Writers in this process, through the same store the watchers use. */
export function inProcessWriter(store: Store): WatchWriter {
  return async (prefix, value, writes, concurrency) => {
    const issued = new Array<number>(writes);
    const acked = new Array<number>(writes);
    const run = await runConcurrent(writes, concurrency, async (i) => {
      issued[i] = monotonicMs();
      await store.create(`${prefix}w${i}`, value);
      acked[i] = monotonicMs();
    });
    return { issued, acked, seconds: run.seconds };
  };
}

export interface WatchFigures {
  writesPerSec: number;
  /** From issuing the write to the event reaching a watcher (includes the write itself). */
  issued: { p50: number; p99: number };
  /** From the writer's acknowledgement to the event reaching a watcher (negative: the event came first). */
  acked: { p50: number; p99: number };
  /** From the backend's event reaching this process (etcd: the watch response) to a watcher: our decode and fan-out alone. */
  inProcess?: { p50: number; p99: number };
  samples: number;
}

/**
 * Latency of each create's ADDED event to each of `watchers` watchers of the
 * prefix (one sample per event per watcher), from when the write was issued
 * and from when it was acknowledged.
 */
export async function watchLatency(
  store: Store,
  prefix: string,
  writes: number,
  concurrency: number,
  watchers: number,
  writer: WatchWriter,
  /** When set: revision → when the backend's event for it reached this process. */
  arrivals?: Map<number, number>,
): Promise<WatchFigures> {
  const value = sampleValue();
  const received = new Float64Array(writes * watchers);
  const revisions = new Float64Array(writes);
  let count = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((resolve) => (resolveAll = resolve));
  let failure: Error | null = null;
  const warm = `${prefix}warm`;
  let warmSeen = 0;
  let resolveWarm!: () => void;
  const warmed = new Promise<void>((resolve) => (resolveWarm = resolve));
  const from = await store.currentRevision();
  const handles: Watcher[] = [];
  const first = prefix.length + 1;
  for (let w = 0; w < watchers; w++) {
    handles.push(
      store.watch(
        { key: prefix, recursive: true, fromRevision: from },
        {
          onEvent: (e) => {
            const at = monotonicMs();
            if (e.type !== 'ADDED') return;
            if (e.key === warm) {
              if (++warmSeen === watchers) resolveWarm();
              return;
            }
            if (e.key.startsWith(warm)) return; // another writer's untimed warm-up
            const i = Number(e.key.slice(first));
            received[i * watchers + w] = at;
            revisions[i] = e.revision;
            if (++count === writes * watchers) resolveAll();
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
  await store.create(warm, value);
  await warmed;
  const times = await writer(prefix, value, writes, concurrency);
  await all;
  for (const h of handles) h.stop();
  if (failure) throw failure;
  const fromIssue: number[] = [];
  const fromAck: number[] = [];
  const fromArrival: number[] = [];
  for (let i = 0; i < writes; i++) {
    const arrived = arrivals?.get(revisions[i]!);
    for (let w = 0; w < watchers; w++) {
      const at = received[i * watchers + w]!;
      fromIssue.push(at - times.issued[i]!);
      fromAck.push(at - times.acked[i]!);
      if (arrived !== undefined) fromArrival.push(at - arrived);
    }
  }
  const a = summarize(fromIssue);
  const b = summarize(fromAck);
  const figures: WatchFigures = { writesPerSec: writes / times.seconds, issued: { p50: a.p50, p99: a.p99 }, acked: { p50: b.p50, p99: b.p99 }, samples: fromIssue.length };
  if (arrivals) {
    if (fromArrival.length !== fromIssue.length) throw new Error(`arrival times for ${fromArrival.length} of ${fromIssue.length} samples`);
    const c = summarize(fromArrival);
    figures.inProcess = { p50: c.p50, p99: c.p99 };
  }
  return figures;
}
