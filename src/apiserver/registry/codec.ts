import type { KeyValue, WatchEvent } from '../../storage/interface.js';
import type { KubeObject } from '../../api/types.js';
import { internalError } from '../../api/errors.js';
import { logger } from '../../util/log.js';

const log = logger('apiserver');

// Stored values never carry resourceVersion: the storage revision is the
// resourceVersion, so it is stamped on at read time and cannot drift.

export function encodeForStorage(obj: KubeObject): string {
  // apiVersion, kind, metadata lead every stored value, so a list can stamp the
  // resourceVersion into the text without parsing it (see stampResourceVersion).
  const { apiVersion, kind, metadata, ...rest } = obj;
  const { resourceVersion: _rv, ...meta } = metadata;
  return JSON.stringify({ apiVersion, kind, metadata: meta, ...rest });
}

const LEAD = /^\{"apiVersion":"(?:[^"\\]|\\.)*","kind":"(?:[^"\\]|\\.)*","metadata":\{/;

/**
 * The stored JSON with metadata.resourceVersion set, by splicing text: the
 * fast path for large lists. undefined when the value does not have the
 * canonical lead (written by an older version), so the caller decodes it.
 */
export function stampResourceVersion(value: string, revision: number): string | undefined {
  const m = LEAD.exec(value);
  if (!m) return undefined;
  const at = m[0].length;
  const rv = `"resourceVersion":"${revision}"`;
  return value.slice(0, at) + rv + (value[at] === '}' ? '' : ',') + value.slice(at);
}

export function decodeStored(key: string, value: string, revision: number): KubeObject {
  let obj: KubeObject;
  try {
    obj = JSON.parse(value) as KubeObject;
  } catch (err) {
    log.error({ key, err: String(err) }, 'stored object is not valid JSON');
    throw internalError(`the object stored at ${key} cannot be decoded: ${(err as Error).message}`);
  }
  if (typeof obj !== 'object' || obj === null || typeof obj.metadata !== 'object' || obj.metadata === null) {
    log.error({ key }, 'stored object has no metadata');
    throw internalError(`the object stored at ${key} has no metadata`);
  }
  obj.metadata.resourceVersion = String(revision);
  return obj;
}

export function decodeKV(kv: KeyValue): KubeObject {
  return decodeStored(kv.key, kv.value, kv.modRevision);
}

// One watch event is decoded once however many watchers receive it. The
// decoded objects are held only for the most recent events: every watcher
// that keeps up takes an event within the dispatch that appended it, and a
// lagging one decodes again. Keying them to the event for as long as the
// watch cache's ring holds it (10,000 events per resource) kept several
// hundred MB of parsed pods and leases alive under load.
const DECODED_EVENTS = 1024;

class RecentEvents<V> {
  private readonly map = new Map<WatchEvent, V>();
  get(ev: WatchEvent): V | undefined {
    return this.map.get(ev);
  }
  has(ev: WatchEvent): boolean {
    return this.map.has(ev);
  }
  set(ev: WatchEvent, v: V): void {
    if (this.map.size >= DECODED_EVENTS) this.map.delete(this.map.keys().next().value!);
    this.map.set(ev, v);
  }
}

const decodedNew = new RecentEvents<KubeObject | Error>();
const decodedPrev = new RecentEvents<KubeObject | Error | null>();

// Objects just written, by their storage key with the text stored: the
// write's own watch event takes its object from here instead of parsing the
// text it was made from. Keyed by the short storage key, not the text, which
// a Map would hash whole (kilobytes) on every write. Only writers that never
// touch the object again put it here (see WriteParams.shareWritten); an entry
// whose event never comes is pushed out or replaced by the key's next write.
// Where no event takes them (nobody watches the resource) they also serve
// the key's next update as its old object (sharedDecoded): sized, and let go
// when writes stop, as the latest events' objects below, so that 1,000
// Leases renewed in turn still find theirs. A create is put here only when a
// watch will take its event (Store.watched): an object held for thousands of
// writes outlives the young generation, and every create of something nobody
// watches (Events, most ConfigMaps) paid that copying for nothing, which also
// doubled the young-generation pauses behind a create's p99 at one client.
const WRITTEN = 8192;
const written = new Map<string, { value: string; obj: KubeObject }>();

export function rememberWritten(key: string, value: string, obj: KubeObject): void {
  noteActivity();
  if (written.size >= WRITTEN && !written.has(key)) written.delete(written.keys().next().value!);
  written.set(key, { value, obj });
}

function takeWritten(ev: WatchEvent): KubeObject | undefined {
  if (written.size === 0) return undefined;
  const w = written.get(ev.key);
  // The same string object in the common case, so this compares pointers.
  if (w === undefined || w.value !== ev.value) return undefined;
  written.delete(ev.key);
  w.obj.metadata.resourceVersion = String(ev.revision);
  return w.obj;
}

// The stored text each event's object was decoded from (or written as), so
// a watch sends that text instead of serialising the object again.
const storedText = new WeakMap<KubeObject, { value: string; revision: number }>();

/**
 * obj as JSON from the text it was stored as, when obj is an event's object
 * (eventObject) and still says what that text says: callers stamp the
 * endpoint's apiVersion and kind on shared objects. undefined otherwise.
 */
export function storedJson(obj: KubeObject): string | undefined {
  const t = storedText.get(obj);
  if (t === undefined || typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') return undefined;
  if (!t.value.startsWith(`{"apiVersion":${JSON.stringify(obj.apiVersion)},"kind":${JSON.stringify(obj.kind)},"metadata":{`)) return undefined;
  return stampResourceVersion(t.value, t.revision);
}

// The newest event object of each recently written key, with the text it
// was decoded from. A pod's binding reads the pod its create just stored and
// the binding's event names that text as its previous value: both take the
// object from here instead of parsing the text again (a third of the decoding
// in the scheduler benchmark). Objects here are shared, so read-only. Sized
// for a scheduler thousands of pods behind their creates (each of the creates
// and bindings between a pod's two writes pushes older keys towards the
// end): some 3.6 KB a pod, 30 MB at most, and let go once writes stop.
const LATEST = 8192;
const IDLE_MS = 30_000;
const latest = new Map<string, { value: string; revision: number; obj: KubeObject }>();
let lastNoted = 0;
let idleTimer: NodeJS.Timeout | undefined;

function releaseWhenIdle(): void {
  idleTimer = undefined;
  const quiet = Date.now() - lastNoted;
  if (quiet >= IDLE_MS) {
    latest.clear();
    written.clear();
  } else (idleTimer = setTimeout(releaseWhenIdle, IDLE_MS - quiet)).unref();
}

function noteActivity(): void {
  lastNoted = Date.now();
  if (idleTimer === undefined) (idleTimer = setTimeout(releaseWhenIdle, IDLE_MS)).unref();
}

function noteLatest(ev: WatchEvent, obj: KubeObject): void {
  noteActivity();
  const before = latest.get(ev.key);
  // A watcher that fell behind decodes old events again: they must not replace newer ones.
  if (before !== undefined && before.revision >= ev.revision) return;
  if (before !== undefined && ev.prevValue !== undefined && before.value === ev.prevValue && !decodedPrev.has(ev)) decodedPrev.set(ev, before.obj);
  if (ev.type === 'DELETED') {
    latest.delete(ev.key);
    return;
  }
  if (before !== undefined) latest.delete(ev.key);
  else if (latest.size >= LATEST) latest.delete(latest.keys().next().value!);
  latest.set(ev.key, { value: ev.value, revision: ev.revision, obj });
}

/**
 * The object stored at key at this revision, with this text, as the watch
 * cache decoded it (or its writer wrote it), when it is one of the latest;
 * undefined when it is not at hand. Shared with watchers, so the caller must
 * not change it. The text is
 * compared because the cache is the process's: two API servers in one
 * process (tests, benches) have stores of their own whose keys and revisions
 * coincide.
 */
export function sharedDecoded(key: string, revision: number, value: string): KubeObject | undefined {
  const l = latest.get(key);
  if (l !== undefined && l.revision === revision && l.value === value) return l.obj;
  // A write no event has taken: its writer stamps the resourceVersion once the store acknowledged it.
  const w = written.get(key);
  return w !== undefined && w.value === value && w.obj.metadata.resourceVersion === String(revision) ? w.obj : undefined;
}

export function eventObject(ev: WatchEvent): KubeObject {
  let o = decodedNew.get(ev);
  if (o === undefined) {
    // A watcher far behind the others asks for an event whose object is no longer among the recent events' ones.
    const l = latest.get(ev.key);
    if (l !== undefined && l.revision === ev.revision && l.value === ev.value && ev.type !== 'DELETED') {
      decodedNew.set(ev, l.obj);
      return l.obj;
    }
    try {
      o = (ev.type !== 'DELETED' ? takeWritten(ev) : undefined) ?? decodeStored(ev.key, ev.value, ev.revision);
      storedText.set(o, { value: ev.value, revision: ev.revision });
      noteLatest(ev, o);
    } catch (err) {
      o = err as Error;
    }
    decodedNew.set(ev, o);
  }
  if (o instanceof Error) throw o;
  return o;
}

/**
 * The object as it was before this event, for selectors only (objects
 * leaving one): it may be the previous event's object, with that event's
 * resourceVersion.
 */
export function eventPrevObject(ev: WatchEvent): KubeObject | null {
  let o = decodedPrev.get(ev);
  if (o === undefined) {
    const l = ev.prevValue === undefined ? undefined : latest.get(ev.key);
    if (ev.prevValue === undefined) o = null;
    else if (l !== undefined && l.value === ev.prevValue) o = l.obj;
    else {
      try {
        o = decodeStored(ev.key, ev.prevValue, ev.revision);
      } catch (err) {
        o = err as Error;
      }
    }
    decodedPrev.set(ev, o);
  }
  if (o instanceof Error) return null;
  return o;
}
