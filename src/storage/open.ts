// The one way the rest of k8ts gets a Store: the configured backend, wrapped
// in the watch cache so every watcher of a prefix shares one storage watch.
import { CachedStore, type WatchCacheOptions } from './cache/cached-store.js';
import type { Store } from './interface.js';
import { SqliteStore } from './sqlite/store.js';

export type StoreConfig =
  | {
      kind: 'sqlite';
      path: string;
      synchronous?: 'NORMAL' | 'FULL';
      /** History kept before compaction; default 300 s. */
      compactWindowSeconds?: number;
      cache?: WatchCacheOptions;
    }
  | {
      kind: 'etcd';
      endpoints: string[];
      /** Namespace prepended to every key in etcd (like --etcd-prefix). */
      prefix?: string;
      /** Periodic etcd compaction, as kube-apiserver's; default 300 s, 0 disables. */
      compactIntervalSeconds?: number;
      /** Client TLS (PEM) when etcd serves https. */
      tls?: { caPem: Buffer; certPem?: Buffer; keyPem?: Buffer };
      cache?: WatchCacheOptions;
    };

export async function openStore(cfg: StoreConfig): Promise<Store> {
  if (cfg.kind === 'sqlite') {
    const store = new SqliteStore({ path: cfg.path, synchronous: cfg.synchronous, compactWindowSeconds: cfg.compactWindowSeconds });
    return new CachedStore(store, cfg.cache);
  }
  // Loaded only when asked for: the etcd client (gRPC) costs ~30 MB that a SQLite server should not carry.
  const { EtcdStore } = await import('./etcd/store.js');
  const store = new EtcdStore({ endpoints: cfg.endpoints, prefix: cfg.prefix, compactIntervalSeconds: cfg.compactIntervalSeconds, tls: cfg.tls });
  try {
    // Fail at startup, not on the first request, when etcd is unreachable.
    await store.ping();
  } catch (err) {
    await store.close();
    throw err;
  }
  return new CachedStore(store, cfg.cache);
}
