import type { ResourceStore } from '../apiserver/registry/resource-store.js';
import type { KubeObject } from '../api/types.js';
import type { Watcher } from '../storage/interface.js';
import { logger } from '../util/log.js';

const log = logger('auth');

export interface CacheHandler {
  /** old is undefined for a new object. */
  upsert(obj: KubeObject, old: KubeObject | undefined): void;
  remove(obj: KubeObject): void;
}

export type WatchableStore = Pick<ResourceStore, 'watch'>;

export function objectKeyOf(obj: KubeObject): string {
  const m = obj.metadata;
  return m.namespace ? `${m.namespace}/${m.name}` : (m.name ?? '');
}

/**
 * What a cache keeps of each object between events. 'object' keeps it whole,
 * as handlers that compare the old object with the new need. 'name' keeps
 * only its namespace and name, for handlers that keep what they need
 * themselves: the Node authorizer's pod cache held every pod of the cluster
 * whole (some 7 KB each with the text its WeakMap entry kept alive), so each
 * create's object outlived the young generation, to be copied, promoted and
 * marked again by every later full collection (200 MB at 26,000 pods).
 */
export type CacheRetention = 'object' | 'name';

function nameOnly(obj: KubeObject): KubeObject {
  const m = obj.metadata;
  return { metadata: m.namespace === undefined ? { name: m.name } : { namespace: m.namespace, name: m.name } };
}

/**
 * A watch-fed copy of one resource, as an informer: the initial list, then
 * every change. When the watch breaks (compaction, a slow consumer) it lists
 * again and reports whatever vanished in the gap as removed, so handlers
 * never keep a stale object. With retention 'name', the old object handed to
 * the handler's upsert and remove carries only metadata.namespace and name.
 */
export class WatchCache {
  readonly items = new Map<string, KubeObject>();
  private watcher: Watcher | undefined;
  private stopped = false;
  private restarting = false;

  constructor(
    private readonly store: WatchableStore,
    private readonly handler: CacheHandler,
    private readonly label: string,
    private readonly retention: CacheRetention = 'object',
  ) {}

  async start(): Promise<void> {
    await this.open();
  }

  private async open(): Promise<void> {
    const seen = new Set<string>();
    let initial = true;
    const w = await this.store.watch(
      {},
      (type, obj) => {
        if (type === 'BOOKMARK') return;
        const key = objectKeyOf(obj);
        if (initial) seen.add(key);
        const old = this.items.get(key);
        if (type === 'DELETED') {
          if (old) {
            this.items.delete(key);
            this.handler.remove(old);
          }
          return;
        }
        this.items.set(key, this.retention === 'object' ? obj : nameOnly(obj));
        this.handler.upsert(obj, old);
      },
      (err) => {
        log.warn({ resource: this.label, err: err.message }, 'authorization cache watch ended; re-listing');
        void this.restart();
      },
    );
    initial = false;
    for (const [key, obj] of [...this.items]) {
      if (!seen.has(key)) {
        this.items.delete(key);
        this.handler.remove(obj);
      }
    }
    if (this.stopped) w.stop();
    else this.watcher = w;
  }

  private async restart(): Promise<void> {
    if (this.stopped || this.restarting) return;
    this.restarting = true;
    this.watcher?.stop();
    this.watcher = undefined;
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.open();
        break;
      } catch (err) {
        log.warn({ resource: this.label, err: (err as Error).message }, 'authorization cache re-list failed');
        await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** attempt, 30_000)).unref());
      }
    }
    this.restarting = false;
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.stop();
    this.watcher = undefined;
  }
}
