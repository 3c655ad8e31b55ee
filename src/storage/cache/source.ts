// One underlying storage watch shared by every cache watcher it covers, with
// the ring of its most recent events. Like upstream's watchCache, a watch
// from any revision still in the ring is served from memory.
import type { Store, WatchEvent, Watcher } from '../interface.js';
import { EventRing } from './ring.js';
import type { CacheWatcher } from './watcher.js';

export interface SourceOptions {
  capacity: number;
  /** Bookmark interval asked of the underlying watch, to learn its progress. */
  progressIntervalMs: number;
  /** Keep the source this long after its last watcher left (0: stop at once). */
  idleMs: number;
}

export class WatchSource {
  readonly ring: EventRing;
  /** Every event with revision > floor is in the ring, or yet to arrive. */
  floor: number;
  /** Every event with revision <= progress has arrived. */
  progress: number;
  readonly watchers = new Set<CacheWatcher>();
  private failure: Error | null = null;
  private underlying: Watcher | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private dispatchScheduled = false;

  constructor(
    store: Store,
    readonly key: string,
    readonly recursive: boolean,
    from: number,
    private readonly opts: SourceOptions,
    /** Called once when the source ends (failed, idle or stopped). */
    private readonly onEnd: (source: WatchSource) => void,
  ) {
    this.ring = new EventRing(opts.capacity);
    this.floor = from;
    this.progress = from;
    this.underlying = store.watch(
      { key, recursive, fromRevision: from, bookmarkIntervalMs: opts.progressIntervalMs },
      { onEvent: (event) => this.onEvent(event), onError: (err) => this.onError(err) },
    );
  }

  get failed(): boolean {
    return this.failure !== null || this.stopped;
  }

  /** Does this source see every event a watch of (key, recursive) needs? */
  covers(key: string, recursive: boolean): boolean {
    if (this.recursive) return key.startsWith(this.key);
    return !recursive && key === this.key;
  }

  /** History at or below `revision` was compacted away: watches from there must fail, not replay from memory. */
  compactedTo(revision: number): void {
    if (revision > this.floor) this.floor = revision;
  }

  canServe(fromRevision: number): boolean {
    return !this.failed && fromRevision >= this.floor;
  }

  attach(w: CacheWatcher): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.watchers.add(w);
  }

  detach(w: CacheWatcher): void {
    if (!this.watchers.delete(w) || this.watchers.size > 0 || this.failed) return;
    if (this.opts.idleMs <= 0) {
      this.stop();
      return;
    }
    this.idleTimer = setTimeout(() => this.stop(), this.opts.idleMs);
    this.idleTimer.unref();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.underlying?.stop();
    this.underlying = null;
    this.onEnd(this);
  }

  private onEvent(event: WatchEvent): void {
    if (event.type === 'BOOKMARK') {
      if (event.revision > this.progress) this.progress = event.revision;
      return;
    }
    const evicted = this.ring.push(event);
    if (evicted) this.floor = evicted.revision;
    if (event.revision > this.progress) this.progress = event.revision;
    // One microtask hands a whole burst to every watcher, instead of one
    // scheduled callback per watcher per event.
    if (!this.dispatchScheduled) {
      this.dispatchScheduled = true;
      queueMicrotask(this.dispatch);
    }
  }

  private readonly dispatch = (): void => {
    this.dispatchScheduled = false;
    for (const w of this.watchers) w.pump();
  };

  private onError(err: Error): void {
    if (this.stopped) return;
    this.failure = err;
    this.underlying = null;
    // Watchers first deliver what they have buffered, then see the error.
    for (const w of this.watchers) w.sourceFailed(err);
    this.stop();
  }
}
