// Harnesses for the conformance suite: SQLite in a temp dir, etcd under a
// unique key namespace of a shared test etcd, each optionally behind the cache.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Etcd3 } from 'etcd3';
import { CachedStore } from '../../src/storage/cache/cached-store.js';
import { EtcdStore } from '../../src/storage/etcd/store.js';
import type { Store } from '../../src/storage/interface.js';
import { SqliteStore, type SqliteStoreOptions } from '../../src/storage/sqlite/store.js';
import type { Harness, HarnessFactory } from './conformance/index.js';

// Small limits so slow-consumer handling is exercised by a few hundred writes.
const QUEUE_LIMIT = 50;
const cacheOptions = { lagLimit: QUEUE_LIMIT, idleSourceMs: 0 };

function wrap(store: Store, cached: boolean): Store {
  return cached ? new CachedStore(store, cacheOptions) : store;
}

export function sqliteHarness(cached: boolean, extra: Partial<SqliteStoreOptions> = {}): HarnessFactory {
  return async (): Promise<Harness> => {
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-sqlite-'));
    const path = join(dir, 'state.db');
    return {
      cached,
      async open() {
        const store = new SqliteStore({
          path,
          ttlSweepIntervalMs: 50,
          watchQueueLimit: QUEUE_LIMIT,
          compactWindowSeconds: 0,
          ...extra,
        });
        return wrap(store, cached);
      },
      async corrupt(key, raw) {
        const db = new Database(path);
        try {
          db.prepare('UPDATE kine SET value = ? WHERE id = (SELECT MAX(id) FROM kine WHERE name = ?)').run(raw, key);
        } finally {
          db.close();
        }
      },
      async cleanup() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}

let namespaces = 0;

export function etcdHarness(endpoints: () => string[], cached: boolean): HarnessFactory {
  return async (): Promise<Harness> => {
    const prefix = `/t${process.pid}-${++namespaces}`;
    return {
      cached,
      async open() {
        return wrap(
          new EtcdStore({ endpoints: endpoints(), prefix, watchQueueLimit: QUEUE_LIMIT, compactIntervalSeconds: 0 }),
          cached,
        );
      },
      async corrupt(key, raw) {
        const client = new Etcd3({ hosts: endpoints() });
        try {
          await client.put(prefix + key).value(raw);
        } finally {
          client.close();
        }
      },
      async cleanup() {
        const client = new Etcd3({ hosts: endpoints() });
        try {
          await client.delete().prefix(prefix + '/');
        } finally {
          client.close();
        }
      },
    };
  };
}
