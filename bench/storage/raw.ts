// The raw backends underneath the store, measured the same way: a bare
// better-sqlite3 loop (WAL, the same synchronous setting) and a bare etcd3
// client loop. Our figures are reported as a ratio to these.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Etcd3 } from 'etcd3';
import { runConcurrent } from '../lib/stats.js';
import { cpuPerOp, type CpuPerOp } from './cpu.js';

export interface RawFigures {
  create: number;
  update: number;
  get: number;
  /** Full lists of `listSize` keys per second. */
  list: number;
  /**
   * etcd only: the same conditional writes as a bare etcd3 transaction, the
   * way upstream's store writes (create: compare mod_revision = 0, then put;
   * CAS update: compare mod_revision = the previous one, then put).
   */
  txnCreate?: number;
  txnUpdate?: number;
  /** etcd only: CPU per write, client and server side. */
  cpu?: { put: CpuPerOp; txnCreate: CpuPerOp; txnUpdate: CpuPerOp };
}

function rate(n: number, seconds: number): number {
  return n / seconds;
}

function timeLoop(n: number, fn: (i: number) => void): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return rate(n, (performance.now() - t0) / 1000);
}

/** As long as the store's bench prefix (/registry/bench/c1/), so the rows are the same size. */
const RAW_PREFIX = '/registry/bench/rw/';

/**
 * Writes: a bare insert loop into a table with no secondary index (the
 * barest insert there is). Reads: get and list on a copy with a unique index
 * on the key, without which they would be table scans.
 */
export function rawSqlite(dir: string, synchronous: 'NORMAL' | 'FULL', n: number, listSize: number, value: string, clients = 1, lists = 20): RawFigures {
  mkdirSync(dir, { recursive: true });
  const open = (name: string): Database.Database => {
    const db = new Database(join(dir, name));
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    // The page cache our connection gets (schema.ts): with SQLite's default
    // 2 MiB, a list of 10,000 ~650-byte values would re-read most pages from
    // the OS on every pass, a handicap ours does not have.
    db.pragma('cache_size = -32768');
    return db;
  };
  const bare = open(`raw-insert-${synchronous}.db`);
  bare.exec('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, value TEXT NOT NULL)');
  const insert = bare.prepare('INSERT INTO t (name, value) VALUES (?, ?)');
  const create = timeLoop(n, (i) => insert.run(`${RAW_PREFIX}k${i}`, value));
  bare.close();

  const db = open(`raw-keyed-${synchronous}.db`);
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, value TEXT NOT NULL)');
  const keyed = db.prepare('INSERT INTO t (name, value) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < Math.max(n, listSize); i++) keyed.run(`${RAW_PREFIX}k${String(i).padStart(6, '0')}`, value);
  })();
  const key = (i: number): string => `${RAW_PREFIX}k${String(i % n).padStart(6, '0')}`;
  // Our update is a log append (a new row per write), so its raw
  // counterpart is the insert loop too, as the issue defines the baseline.
  const update = create;
  const sel = db.prepare('SELECT id, value FROM t WHERE name = ?');
  const get = timeLoop(n, (i) => sel.get(key((i * 7919) % n)));
  // A list must return each key's revision too (an object's
  // resourceVersion), as ours and etcd's getAll do: the row id here.
  const range = db.prepare('SELECT id, name, value FROM t WHERE name >= ? AND name < ? ORDER BY name LIMIT ?');
  const upper = RAW_PREFIX.slice(0, -1) + '0';
  range.all(RAW_PREFIX, upper, listSize); // warm-up, untimed
  // With `clients` lists in flight, ours holds that many results at once
  // (each list runs to completion before any caller resumes); so does this
  // loop, which drops them a batch of `clients` at a time, not one by one.
  const held: unknown[] = [];
  const list = timeLoop(lists, () => {
    held.push(range.all(RAW_PREFIX, upper, listSize));
    if (held.length >= clients) held.length = 0;
  });
  held.length = 0;
  db.close();
  return { create, update, get, list };
}

/** A bare etcd3 client (default options) doing the same operations. */
export async function rawEtcd(
  endpoints: string[],
  prefix: string,
  n: number,
  concurrency: number,
  listSize: number,
  lists: number,
  value: string,
  serverPid: number | null = null,
): Promise<RawFigures> {
  const client = new Etcd3({ hosts: endpoints, grpcOptions: { 'grpc.max_receive_message_length': -1 } });
  try {
    const key = (i: number): string => `${prefix}/registry/raw/k${String(i).padStart(6, '0')}`;
    const txnKey = (i: number): string => `${prefix}/registry/txn/k${String(i).padStart(6, '0')}`;
    const put = await cpuPerOp(serverPid, n, () =>
      runConcurrent(n, concurrency, async (i) => {
        await client.put(key(i)).value(value);
      }),
    );
    const create = put.result;
    const update = await runConcurrent(n, concurrency, async (i) => {
      await client.put(key(i)).value(value + ' ');
    });
    const revs = new Array<string>(n);
    const txnCreate = await cpuPerOp(serverPid, n, () =>
      runConcurrent(n, concurrency, async (i) => {
        const res = await client.if(txnKey(i), 'Mod', '==', 0).then(client.put(txnKey(i)).value(value)).commit();
        if (!res.succeeded) throw new Error(`raw txn create of ${txnKey(i)} failed`);
        revs[i] = res.header.revision;
      }),
    );
    const txnUpdate = await cpuPerOp(serverPid, n, () =>
      runConcurrent(n, concurrency, async (i) => {
        const res = await client.if(txnKey(i), 'Mod', '==', revs[i]).then(client.put(txnKey(i)).value(value + ' ')).commit();
        if (!res.succeeded) throw new Error(`raw txn update of ${txnKey(i)} failed`);
      }),
    );
    const get = await runConcurrent(n, concurrency, async (i) => {
      await client.get(key((i * 7919) % n)).string();
    });
    // The list reads listSize keys (the store's list prefix has that many).
    for (let i = n; i < listSize; i++) await client.put(key(i)).value(value);
    const listOnce = async (): Promise<void> => {
      await client.getAll().prefix(`${prefix}/registry/raw/`).limit(listSize).strings();
    };
    await listOnce(); // warm-up, untimed
    const list = await runConcurrent(lists, Math.min(concurrency, lists), listOnce);
    await client.delete().prefix(`${prefix}/`);
    return {
      create: rate(n, create.seconds),
      update: rate(n, update.seconds),
      get: rate(n, get.seconds),
      list: rate(lists, list.seconds),
      txnCreate: rate(n, txnCreate.result.seconds),
      txnUpdate: rate(n, txnUpdate.result.seconds),
      cpu: { put: put.cpu, txnCreate: txnCreate.cpu, txnUpdate: txnUpdate.cpu },
    };
  } finally {
    client.close();
  }
}
