// The storage seam, modelled on k8s.io/apiserver/pkg/storage.Interface.
// Values are opaque strings (the API layer stores JSON); a revision is a
// global, strictly increasing write counter shared by every key, so it can
// serve as a Kubernetes resourceVersion directly.

/** Every key lives under this prefix; anything else is rejected with InvalidKey. */
export const KEY_PREFIX = '/registry/';

/** etcd's default request limit; a larger value is rejected with TooLarge. */
export const MAX_VALUE_BYTES = 1.5 * 1024 * 1024;

export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that produced this value (the resourceVersion). */
  modRevision: number;
  /** Revision of the write that created the key. */
  createRevision: number;
}

export interface ListOptions {
  /** Maximum number of items; 0 or undefined means all. */
  limit?: number;
  /** Exclusive: start after this key (from a continue token). */
  startAfter?: string;
  /**
   * Read as of this revision (consistent paging); 0 or undefined means now.
   * Below the compacted revision: Expired; above the current one: FutureRevision.
   */
  revision?: number;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list was read at. */
  revision: number;
  /** True when more items remain after the last one returned. */
  more: boolean;
  /** How many items remain after this page, when known cheaply. */
  remaining?: number;
}

export interface WriteOptions {
  /** Time to live; the key is deleted (with a DELETED watch event) after it. */
  ttlSeconds?: number;
}

export interface UpdateOptions extends WriteOptions {
  /**
   * The caller's copy of the key's current state (as upstream's
   * cachedExistingObject), e.g. from a watch: the first attempt runs fn on it
   * and writes without reading the key first. If it is stale the
   * compare-and-swap fails and the retry uses the state the failed write
   * returned. When fn leaves a copy's value unchanged the store reads the key
   * before answering "nothing to write", since the copy may be out of date.
   */
  current?: KeyValue;
}

export interface DeleteOptions {
  /** Only delete if the key's current modRevision equals this. */
  expectedRevision?: number;
  /** Only delete if this predicate accepts the current value (uid preconditions). */
  precondition?: (current: KeyValue) => void;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent {
  type: WatchEventType;
  key: string;
  /** New value; for DELETED the last value before deletion; '' for BOOKMARK. */
  value: string;
  /** Revision of this event (the deletion's revision for DELETED). */
  revision: number;
  createRevision: number;
  /** Value before this write, if any (MODIFIED and DELETED). */
  prevValue?: string;
}

export interface WatchOptions {
  /** A key, or a prefix when recursive is set. */
  key: string;
  recursive: boolean;
  /**
   * Deliver events with revision > fromRevision. 0 means "from now" (no
   * replay). After compact(C), fromRevision < C - 1 fails with Expired (as
   * etcd: the first event needed, fromRevision + 1, must be >= C).
   */
  fromRevision: number;
  /** Send a BOOKMARK event carrying the current revision this often. */
  bookmarkIntervalMs?: number;
  /**
   * Only events whose trigger values include this one can matter to the
   * watcher (upstream's cacher triggers: a kubelet's spec.nodeName=<node>):
   * a watch cache may then leave the others out instead of handing every
   * event of the resource to thousands of watchers. A hint: the handler
   * still filters, and a store may deliver everything.
   */
  trigger?: WatchTrigger;
}

export interface WatchTrigger {
  value: string;
  /**
   * The trigger values of an event (its object's and its previous object's);
   * undefined when they cannot be told, and then every watcher gets it. The
   * same function for every watch of a key, so each event is computed once.
   */
  of(event: WatchEvent): readonly string[] | undefined;
}

export interface Watcher {
  stop(): void;
}

export interface WatchHandlers {
  /**
   * Events arrive one at a time, in revision order, each exactly once. A
   * handler may return a promise to apply backpressure: the next event waits
   * until it settles. A watcher that falls too far behind (its queue exceeds
   * the store's limit) is terminated with onError(StorageError 'Expired',
   * "too slow"): re-list, then watch again.
   */
  onEvent(event: WatchEvent): void | Promise<void>;
  /** Called once when the watch cannot continue (e.g. Expired); no events follow. */
  onError(err: Error): void;
}

export type UpdateFn = (current: KeyValue) => string | Promise<string>;

export interface Store {
  /** Fails with KeyExists if the key exists. */
  create(key: string, value: string, opts?: WriteOptions): Promise<KeyValue>;
  /** null when absent. */
  get(key: string): Promise<KeyValue | null>;
  /** Keys with the prefix in key order. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Compare-and-swap: fails with Conflict unless the key's modRevision is expectedRevision, NotFound if absent. */
  update(key: string, value: string, expectedRevision: number, opts?: WriteOptions): Promise<KeyValue>;
  /**
   * Read-modify-write with retry on conflict (as upstream's GuaranteedUpdate).
   * fn may throw to abort; NotFound if the key is absent. As upstream, when fn
   * returns the current value unchanged nothing is written and the current
   * KeyValue (same modRevision) is returned.
   */
  guaranteedUpdate(key: string, fn: UpdateFn, opts?: UpdateOptions): Promise<KeyValue>;
  /** Returns the deleted value with the deletion's revision as modRevision. NotFound if absent. */
  delete(key: string, opts?: DeleteOptions): Promise<KeyValue>;
  watch(opts: WatchOptions, handlers: WatchHandlers): Watcher;
  currentRevision(): Promise<number>;
  /**
   * Drop history before revision C (etcd semantics): the state at C and every
   * later revision stay readable; lists at a revision < C and watches from
   * fromRevision < C - 1 fail with Expired (err.revision = C). Compacting to
   * an already compacted revision is a no-op; above the current one is clamped.
   * (The watch cache drops its in-memory history below C too; only a backend's
   * own periodic compaction can leave the cache serving a few older events,
   * as upstream's watch cache does.)
   */
  compact(revision: number): Promise<void>;
  /** Number of live keys under a prefix (for quota and metrics). */
  count(prefix: string): Promise<number>;
  /**
   * Whether a write of key may reach a watch open now. Optional: a store
   * without it is taken to be watched. (The watch cache answers from its
   * sources: the codec keeps a just-written object for its event only when
   * that event will come.)
   */
  watched?(key: string): boolean;
  /** Open watches end with onError(StorageError 'Unavailable'); later calls fail the same way. */
  close(): Promise<void>;
}
