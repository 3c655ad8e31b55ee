// One underlying storage watch shared by every cache watcher it covers, with
// the ring of its most recent events. Like upstream's watchCache, a watch
// from any revision still in the ring is served from memory.
import type { Store, WatchEvent, WatchTrigger, Watcher } from '../interface.js';
import { EventRing } from './ring.js';
import { triggerValuesOf, type CacheWatcher } from './watcher.js';

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
  /** Watchers with a trigger, by its value: a burst of events pumps only those its events name. */
  private readonly triggered = new Map<string, Set<CacheWatcher>>();
  private triggeredCount = 0;
  /** Sequence number of the first event not yet dispatched. */
  private dispatched = 0;
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

  attach(w: CacheWatcher, trigger?: WatchTrigger): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.watchers.add(w);
    if (trigger) {
      let set = this.triggered.get(trigger.value);
      if (!set) this.triggered.set(trigger.value, (set = new Set()));
      set.add(w);
      this.triggeredCount++;
    }
  }

  detach(w: CacheWatcher): void {
    if (!this.watchers.delete(w)) return;
    const t = w.trigger;
    const set = t && this.triggered.get(t.value);
    if (set && set.delete(w)) {
      this.triggeredCount--;
      if (set.size === 0) this.triggered.delete(t.value);
    }
    if (this.watchers.size > 0 || this.failed) return;
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
    const from = this.dispatched;
    const to = this.ring.next;
    this.dispatched = to;
    if (this.triggeredCount === 0) {
      for (const w of this.watchers) w.pump();
      return;
    }
    // As upstream's cacher with an indexed trigger: a burst is handed to the
    // watchers whose trigger value one of its events names (a kubelet's
    // node), the others only move their cursor past it. Thousands of node
    // watches then cost a pod's write nothing but that step each.
    const hit = this.hitBy(from, to);
    for (const w of this.watchers) {
      const t = w.trigger;
      if (t === undefined || hit === null || hit.has(t.value)) w.pump();
      else w.skip(from, to);
    }
  };

  /** The trigger values named by events from..to; null: every watcher must look. */
  private hitBy(from: number, to: number): Set<string> | null {
    const hit = new Set<string>();
    // Any watcher's trigger computes the values: they are one function per key.
    const probe = this.triggered.values().next().value!.values().next().value!.trigger!;
    if (from < this.ring.oldest) return null;
    for (let seq = from; seq < to; seq++) {
      const ev = this.ring.at(seq);
      if (ev === undefined) return null;
      const values = triggerValuesOf(probe.of, ev);
      if (values === null) return null;
      for (const v of values) hit.add(v);
    }
    return hit;
  }

  private onError(err: Error): void {
    if (this.stopped) return;
    this.failure = err;
    this.underlying = null;
    // Watchers first deliver what they have buffered, then see the error.
    for (const w of this.watchers) w.sourceFailed(err);
    this.stop();
  }
}
