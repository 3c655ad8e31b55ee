// The watch cache: wraps any Store as a Store, like upstream's Cacher. Reads
// and writes pass straight through; watches are fanned out from memory. All
// watchers covered by one source share its single storage watch, and a watch
// from a revision still in the source's ring is served without touching the
// database. A watch from before the ring falls back to a direct storage watch
// (which replays, or fails with Expired if that history was compacted).
import { StorageError } from '../errors.js';
import type {
  DeleteOptions,
  KeyValue,
  ListOptions,
  ListResult,
  Store,
  UpdateFn,
  UpdateOptions,
  WatchHandlers,
  WatchOptions,
  Watcher,
  WriteOptions,
} from '../interface.js';
import { checkKey, checkPrefix, keyMatcher } from '../keys.js';
import { WatchSource } from './source.js';
import { CacheWatcher } from './watcher.js';

export interface WatchCacheOptions {
  /** Events kept per source; default 10,000. */
  capacity?: number;
  /** A watcher further behind than this many events is terminated; default capacity. */
  lagLimit?: number;
  /** How often sources ask their storage watch for progress; default 1000 ms. */
  progressIntervalMs?: number;
  /** Keep an unwatched source (and its ring) this long; default 60 s. */
  idleSourceMs?: number;
}

export const DEFAULT_CACHE_CAPACITY = 10_000;

export class CachedStore implements Store {
  private readonly sources = new Set<WatchSource>();
  private readonly direct = new Set<Watcher>();
  private readonly capacity: number;
  private readonly lagLimit: number;
  private closed = false;

  constructor(
    readonly store: Store,
    private readonly opts: WatchCacheOptions = {},
  ) {
    this.capacity = opts.capacity ?? DEFAULT_CACHE_CAPACITY;
    this.lagLimit = Math.min(opts.lagLimit ?? this.capacity, this.capacity);
  }

  /** Number of storage watches currently open on behalf of cache watchers. */
  get storageWatchCount(): number {
    return this.sources.size + this.direct.size;
  }

  create(key: string, value: string, opts?: WriteOptions): Promise<KeyValue> {
    return this.store.create(key, value, opts);
  }

  get(key: string): Promise<KeyValue | null> {
    return this.store.get(key);
  }

  list(prefix: string, opts?: ListOptions): Promise<ListResult> {
    return this.store.list(prefix, opts);
  }

  update(key: string, value: string, expectedRevision: number, opts?: WriteOptions): Promise<KeyValue> {
    return this.store.update(key, value, expectedRevision, opts);
  }

  guaranteedUpdate(key: string, fn: UpdateFn, opts?: UpdateOptions): Promise<KeyValue> {
    return this.store.guaranteedUpdate(key, fn, opts);
  }

  delete(key: string, opts?: DeleteOptions): Promise<KeyValue> {
    return this.store.delete(key, opts);
  }

  currentRevision(): Promise<number> {
    return this.store.currentRevision();
  }

  async compact(revision: number): Promise<void> {
    await this.store.compact(revision);
    // Compacted means gone for every reader: the rings may not serve it either.
    for (const source of this.sources) source.compactedTo(revision);
  }

  count(prefix: string): Promise<number> {
    return this.store.count(prefix);
  }

  watched(key: string): boolean {
    // A direct watch replays from storage and may cover anything: count it as watching.
    if (this.direct.size > 0) return true;
    for (const s of this.sources) if (!s.failed && s.covers(key, false)) return true;
    return false;
  }

  watch(opts: WatchOptions, handlers: WatchHandlers): Watcher {
    if (opts.recursive) checkPrefix(opts.key);
    else checkKey(opts.key);
    if (this.closed) throw new StorageError('Unavailable', opts.key, 'storage closed');
    if (opts.fromRevision > 0) return this.attach(opts, opts.fromRevision, handlers);
    // "From now" means after the store's current revision, not after whatever
    // a source has received so far (it may lag behind a write just acknowledged).
    const pending = new PendingWatcher();
    this.store.currentRevision().then(
      (revision) => {
        if (pending.stopped) return;
        try {
          pending.bind(this.attach(opts, revision, handlers));
        } catch (err) {
          handlers.onError(err instanceof Error ? err : new Error(String(err)));
        }
      },
      (err: unknown) => {
        if (!pending.stopped) handlers.onError(err instanceof Error ? err : new Error(String(err)));
      },
    );
    return pending;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new StorageError('Unavailable', '', 'storage closed');
    for (const source of [...this.sources]) {
      for (const w of source.watchers) w.sourceFailed(err);
      source.stop();
    }
    for (const w of [...this.direct]) w.stop();
    await this.store.close();
  }

  private attach(opts: WatchOptions, from: number, handlers: WatchHandlers): Watcher {
    if (this.closed) throw new StorageError('Unavailable', opts.key, 'storage closed');
    let source: WatchSource | null = null;
    let covered = false;
    for (const s of this.sources) {
      if (!s.covers(opts.key, opts.recursive) || s.failed) continue;
      covered = true;
      // The narrowest source wastes the least filtering.
      if (s.canServe(from) && (!source || s.key.length > source.key.length)) source = s;
    }
    if (!source && covered) return this.directWatch(opts, from, handlers);
    if (!source) {
      source = new WatchSource(
        this.store,
        opts.key,
        opts.recursive,
        from,
        {
          capacity: this.capacity,
          progressIntervalMs: this.opts.progressIntervalMs ?? 1000,
          idleMs: this.opts.idleSourceMs ?? 60_000,
        },
        (ended) => this.sources.delete(ended),
      );
      this.sources.add(source);
    }
    return new CacheWatcher(source, handlers, {
      key: opts.key,
      after: from,
      matches: keyMatcher(opts.key, opts.recursive),
      lagLimit: this.lagLimit,
      bookmarkIntervalMs: opts.bookmarkIntervalMs,
      trigger: opts.trigger,
    });
  }

  /** Older than every ring that covers the key: let the store replay it. */
  private directWatch(opts: WatchOptions, from: number, handlers: WatchHandlers): Watcher {
    let inner: Watcher | null = null;
    const done = (): void => {
      if (inner) this.direct.delete(inner);
    };
    inner = this.store.watch(
      { ...opts, fromRevision: from },
      {
        onEvent: (event) => handlers.onEvent(event),
        onError: (err) => {
          done();
          handlers.onError(err);
        },
      },
    );
    this.direct.add(inner);
    const w = inner;
    return {
      stop: () => {
        done();
        w.stop();
      },
    };
  }
}

/** The watcher handed out before "from now" has been resolved to a revision. */
class PendingWatcher implements Watcher {
  stopped = false;
  private inner: Watcher | null = null;

  bind(inner: Watcher): void {
    this.inner = inner;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.inner?.stop();
  }
}
