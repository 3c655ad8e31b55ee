import type { KubeList, KubeObject, WatchEventObject } from '../api/types.js';
import type { RestClient } from './rest.js';
import { resourcePath, query, type ResourceRef } from './paths.js';
import { Store, metaNamespaceKey, type Indexers, type StoreReader } from './store.js';
import { isExpired } from './status.js';
import { jitter, sleep } from './clock.js';
import type { WatchHandle } from './watch.js';
import { logger } from '../util/log.js';

// A shared informer: client-go's reflector + DeltaFIFO + indexer + processor
// collapsed onto one event loop. It lists (paginated), watches from the
// list's resourceVersion, keeps the cache and calls handlers in order.
// A re-list replaces the cache as DeltaFIFO.Replace does: every listed object
// is an add or an update (even if unchanged, as upstream's Replaced/Sync
// deltas), and cached objects missing from the list are deleted with
// finalStateUnknown=true (upstream's DeletedFinalStateUnknown tombstone).

const log = logger('client');

export interface InformerOptions<T extends KubeObject> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Default resync period for handlers (ms); 0 disables. */
  resyncPeriodMs?: number;
  /** List page size (default 500). */
  pageSize?: number;
  indexers?: Indexers<T>;
  /** Watches are ended by the server after a random 1-2x this many seconds (default 300), as the reflector does. */
  minWatchTimeoutSeconds?: number;
  /**
   * Applied to every object before it is stored and handed to handlers, as
   * client-go's SetTransform: a cache of thousands of objects can keep only
   * the fields its readers use.
   */
  transform?: (obj: T) => T;
}

export interface EventHandlers<T extends KubeObject> {
  /** isInInitialList: the object came from the first list (or was replayed to a late handler). */
  onAdd?(obj: T, isInInitialList: boolean): void;
  /** Also called with old === new on resync. */
  onUpdate?(oldObj: T, newObj: T): void;
  /** finalStateUnknown: the delete was inferred from a re-list, so obj is the last state we saw. */
  onDelete?(obj: T, finalStateUnknown: boolean): void;
}

export interface HandlerRegistration {
  remove(): void;
  hasSynced(): boolean;
}

interface Listener<T extends KubeObject> {
  handlers: EventHandlers<T>;
  resyncTimer?: NodeJS.Timeout;
}

const BACKOFF_INITIAL_MS = 800;
const BACKOFF_MAX_MS = 30_000;
/** A list+watch that lasted this long resets the back-off, as the reflector's backoff manager does. */
const BACKOFF_RESET_MS = 120_000;

export class Informer<T extends KubeObject = KubeObject> {
  private readonly cache: Store<T>;
  private readonly listeners = new Set<Listener<T>>();
  private started = false;
  private stopped = false;
  private synced = false;
  private syncWaiters: Array<(ok: boolean) => void> = [];
  private lastRV = '';
  private watch?: WatchHandle;
  private readonly ac = new AbortController();
  private loop?: Promise<void>;
  private failures = 0;
  private relistRequested = false;
  private eventsThisWatch = 0;

  constructor(
    private readonly client: RestClient,
    readonly resource: ResourceRef,
    private readonly opts: InformerOptions<T> = {},
  ) {
    this.cache = new Store<T>(opts.indexers);
  }

  /** The local cache; read-only for callers (do not mutate returned objects). */
  get store(): StoreReader<T> {
    return this.cache;
  }

  addIndexers(indexers: Indexers<T>): void {
    this.cache.addIndexers(indexers);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  lastSyncResourceVersion(): string {
    return this.lastRV;
  }

  /** Resolves true once the first list is in the cache, false if stopped (or `signal` aborts) first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.stopped || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push((ok) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(ok);
      });
    });
  }

  addEventHandler(handlers: EventHandlers<T>, resyncPeriodMs = this.opts.resyncPeriodMs ?? 0): HandlerRegistration {
    const l: Listener<T> = { handlers };
    this.listeners.add(l);
    // A handler joining late learns the current state as adds, as upstream does.
    if (this.synced) for (const obj of this.cache.list()) this.call(l, 'onAdd', obj, true);
    if (resyncPeriodMs > 0) {
      l.resyncTimer = setInterval(() => {
        if (!this.synced) return;
        for (const obj of this.cache.list()) this.call(l, 'onUpdate', obj, obj);
      }, resyncPeriodMs);
      l.resyncTimer.unref();
    }
    return {
      remove: () => {
        clearInterval(l.resyncTimer);
        this.listeners.delete(l);
      },
      hasSynced: () => this.synced,
    };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.ac.abort();
    this.watch?.stop();
    for (const l of this.listeners) clearInterval(l.resyncTimer);
    for (const w of this.syncWaiters.splice(0)) w(false);
    await this.loop;
  }

  private call(l: Listener<T>, kind: keyof EventHandlers<T>, a: T, b: T | boolean): void {
    try {
      const h = l.handlers;
      if (kind === 'onAdd') h.onAdd?.(a, b as boolean);
      else if (kind === 'onUpdate') h.onUpdate?.(a, b as T);
      else h.onDelete?.(a, b as boolean);
    } catch (err) {
      log.error({ err, resource: this.resource.resource }, 'informer event handler failed');
    }
  }

  /** The object as the cache keeps it: after the transform, when there is one. */
  private transformed(obj: T): T {
    return this.opts.transform ? this.opts.transform(obj) : obj;
  }

  private dispatch(kind: keyof EventHandlers<T>, a: T, b: T | boolean): void {
    for (const l of [...this.listeners]) this.call(l, kind, a, b);
  }

  private async run(): Promise<void> {
    let needList = true;
    while (!this.stopped) {
      const began = Date.now();
      try {
        if (needList) await this.listAndReplace();
        needList = false;
        const watchBegan = Date.now();
        await this.watchOnce();
        if (this.relistRequested) {
          this.relistRequested = false;
          needList = true;
          continue;
        }
        // A watch the server ends at once without events would spin; treat it as a failure, as the reflector does.
        if (this.eventsThisWatch === 0 && Date.now() - watchBegan < 1000) throw new Error('very short watch');
        if (Date.now() - began > BACKOFF_RESET_MS) this.failures = 0;
      } catch (err) {
        if (this.stopped) break;
        needList = true;
        if (isExpired(err)) {
          // Our resourceVersion is compacted away: list at the latest and go on.
          log.info({ resource: this.resource.resource, rv: this.lastRV }, 'watch expired, re-listing');
          this.lastRV = '';
          continue;
        }
        if (Date.now() - began > BACKOFF_RESET_MS) this.failures = 0;
        const delay = jitter(Math.min(BACKOFF_INITIAL_MS * 2 ** this.failures, BACKOFF_MAX_MS), 1.0);
        this.failures++;
        log.warn({ resource: this.resource.resource, err: (err as Error).message, delayMs: Math.round(delay) }, 'list/watch failed, retrying');
        await sleep(delay, this.ac.signal);
      }
    }
  }

  private listPath(extra: Record<string, string | number | undefined>): string {
    const { namespace, labelSelector, fieldSelector } = this.opts;
    return resourcePath(this.resource, namespace) + query({ labelSelector, fieldSelector, ...extra });
  }

  private async fetchAll(limit: number | undefined): Promise<{ items: T[]; rv: string }> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.client.transport.json<KubeList<T>>('GET', this.listPath({ limit, continue: cont }), { signal: this.ac.signal });
      const kind = page.kind?.replace(/List$/, '');
      const apiVersion = page.apiVersion;
      for (const item of page.items ?? []) {
        // List items omit kind/apiVersion on the wire; restore them so cached objects look like GET results.
        const full = { ...item, kind: item.kind ?? kind, apiVersion: item.apiVersion ?? apiVersion };
        items.push(this.transformed(full));
      }
      rv = page.metadata?.resourceVersion ?? rv;
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { items, rv };
  }

  private async listAndReplace(): Promise<void> {
    let result;
    try {
      result = await this.fetchAll(this.opts.pageSize ?? 500);
    } catch (err) {
      // A continue token can expire mid-list; like the pager, fall back to one full list.
      if (!isExpired(err)) throw err;
      result = await this.fetchAll(undefined);
    }
    if (this.stopped) return;
    this.replace(result.items, result.rv);
  }

  private replace(items: T[], rv: string): void {
    const initial = !this.synced;
    const seen = new Set<string>();
    for (const obj of items) {
      const key = metaNamespaceKey(obj);
      seen.add(key);
      const old = this.cache.set(obj, key);
      if (old) this.dispatch('onUpdate', old, obj);
      else this.dispatch('onAdd', obj, initial);
    }
    for (const key of this.cache.listKeys()) {
      if (seen.has(key)) continue;
      const old = this.cache.delete(key)!;
      this.dispatch('onDelete', old, true);
    }
    this.lastRV = rv;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w(true);
    }
  }

  private async watchOnce(): Promise<void> {
    const min = this.opts.minWatchTimeoutSeconds ?? 300;
    const timeoutSeconds = Math.floor(min * (1 + Math.random()));
    this.eventsThisWatch = 0;
    this.watch = this.client.watch<T>(
      this.resource,
      this.opts.namespace,
      {
        resourceVersion: this.lastRV,
        allowWatchBookmarks: true,
        timeoutSeconds,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
      },
      (ev) => this.onWatchEvent(ev),
    );
    if (this.stopped || this.relistRequested) this.watch.stop();
    await this.watch.done;
  }

  private onWatchEvent(ev: WatchEventObject<T>): void {
    if (this.stopped) return;
    this.eventsThisWatch++;
    const obj = ev.object;
    const rv = obj?.metadata?.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      if (rv) this.lastRV = rv;
      return;
    }
    const key = metaNamespaceKey(obj);
    if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
      const stored = this.transformed(obj);
      const old = this.cache.set(stored, key);
      if (old) this.dispatch('onUpdate', old, stored);
      else this.dispatch('onAdd', stored, false);
    } else if (ev.type === 'DELETED') {
      const old = this.cache.delete(key);
      if (old) this.dispatch('onDelete', this.transformed(obj), false);
    }
    if (rv) this.lastRV = rv;
  }

  /** End the current watch and re-list, as after a dropped connection (used by tests and by callers that suspect drift). */
  relist(): void {
    this.relistRequested = true;
    this.watch?.stop();
  }
}

/** Wait until every informer has synced; false if any is stopped first. */
export async function waitForCacheSync(signal: AbortSignal | undefined, ...informers: Array<{ waitForSync(signal?: AbortSignal): Promise<boolean> }>): Promise<boolean> {
  const results = await Promise.all(informers.map((i) => i.waitForSync(signal)));
  return results.every(Boolean);
}
