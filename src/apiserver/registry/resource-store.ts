import { randomUUID } from 'node:crypto';
import type { KeyValue, Store, WatchEvent, WatchTrigger, Watcher } from '../../storage/interface.js';
import { StorageError, isStorageError } from '../../storage/errors.js';
import type { ResourceInfo } from '../../api/scheme/resources.js';
import type { KubeList, KubeObject } from '../../api/types.js';
import { apiVersionOf, nowTimestamp } from '../../api/types.js';
import { StatusError, alreadyExists, badRequest, conflict, gone, internalError, invalid, notFound } from '../../api/errors.js';
import { matchesLabels, type LabelSelector } from '../../api/selectors/labels.js';
import type { FieldSelector } from '../../api/selectors/fields.js';
import { applyDefaults } from '../../api/defaults/index.js';
import { validateObject, validatePodEphemeralContainersUpdate } from '../../api/validation/index.js';
import { objectKey, listPrefix } from './keys.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import { decodeKV, encodeForStorage, eventObject, eventPrevObject, rememberWritten, sharedDecoded, stampResourceVersion } from './codec.js';
import { matchesFieldSelector, selectableFields } from './fieldsets.js';
import { strategyFor, type Strategy } from './strategy.js';
import { eventsV1Conversion, type Conversion } from './events-conversion.js';
import { hpaFromV1, hpaToV1 } from '../../api/conversion/hpa.js';


/** A JSON list as its parts: head, `count` items separated by commas (item(i) renders the i-th), tail. */
export interface JsonListBody {
  head: string;
  count: number;
  item(i: number): string;
  tail: string;
}

export interface ListParams {
  namespace?: string;
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface WriteParams {
  dryRun?: boolean;
  /** Validating admission: runs on the final object just before it is stored; throws to refuse. */
  admit?: (obj: KubeObject, old: KubeObject | undefined) => Promise<void>;
  /**
   * Told the stored object's JSON with its resourceVersion, so a create can
   * answer with the text it already serialised instead of serialising again.
   * Not called for dry runs or resources stored in another shape.
   */
  onStored?: (json: string) => void;
  /**
   * The caller will not change the written object again, so watch events of
   * this write may hand it to watchers instead of parsing the stored text.
   */
  shareWritten?: boolean;
}

export interface UpdateParams extends WriteParams {
  subresource?: string;
  createIfMissing?: (() => KubeObject | Promise<KubeObject>) | undefined;
  /**
   * A copy of the current object that mutate may change, made from the watch
   * cache's shared one (which nothing may change): copies of the parts mutate
   * and the update's own bookkeeping (metadata, the top level) write, the rest
   * shared. Used instead of parsing the stored text when the cache has it.
   */
  copyShared?: (shared: KubeObject) => KubeObject;
  /**
   * mutate only reads the current object (it builds the desired one anew, as
   * PUT and PATCH do), so it may be handed the old object itself, which may
   * be the watch cache's shared one: one decode of the stored text fewer.
   */
  readsCurrent?: boolean;
}

export interface DeleteParams extends WriteParams {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface DeleteResult {
  object: KubeObject;
  /** False when the object only got a deletionTimestamp (graceful, finalizers). */
  deleted: boolean;
}

/** A promise back means the consumer is full: its watch waits (and ends if it falls too far behind). */
export type WatchEmit = (type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK', obj: KubeObject) => void | Promise<void>;

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return s;
}

/** Tries of a create with generateName before its 409 reaches the client (upstream's maxNameGenerationCreateAttempts). */
const NAME_GENERATION_ATTEMPTS = 8;

/** generateName plus five random characters, the base cut to 58 so the whole fits 63 (upstream's SimpleNameGenerator). */
function generateName(base: string): string {
  return base.slice(0, 63 - 5) + randomSuffix();
}

function specOf(obj: KubeObject): string {
  const rest: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) if (k !== 'metadata' && k !== 'status' && k !== 'apiVersion' && k !== 'kind') rest[k] = obj[k];
  return JSON.stringify(rest);
}

/** Parses a resourceVersion from a request; 400 on garbage, as upstream. */
export function parseResourceVersion(rv: string | undefined): number {
  if (rv === undefined || rv === '') return 0;
  if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return Number(rv);
}

/** Metadata an update takes from the stored object whatever the client sent (upstream's rest.BeforeUpdate). */
const CARRIED_METADATA = ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const;

/** The field each resource's watch cache indexes watchers by, as upstream's cacher triggers. */
const TRIGGER_FIELDS: Record<string, string> = { '/pods': 'spec.nodeName' };

/** Endpoints served from another version's stored objects: events.k8s.io/v1 over core Events, autoscaling/v1 over v2 HPAs. */
function conversionFor(info: ResourceInfo): Conversion | undefined {
  if (info.group === 'events.k8s.io') return eventsV1Conversion;
  if (info.group === 'autoscaling' && info.version === 'v1' && info.resource === 'horizontalpodautoscalers') return { toExternal: hpaToV1, toStorage: hpaFromV1 };
  return undefined;
}

/**
 * The generic REST storage of one resource: it maps objects onto the Store,
 * applies the resource's strategy, defaults and validation, and implements
 * upstream's semantics for resourceVersion, graceful deletion and finalizers.
 */
export class ResourceStore {
  readonly strategy: Strategy;
  private readonly fieldGetters;
  private readonly gr;
  /** Endpoints whose shape differs from the stored one (events.k8s.io/v1 over core Events). */
  private readonly conversion: Conversion | undefined;
  private readonly triggerField: string | undefined;
  private readonly triggerOf: WatchTrigger['of'] | undefined;

  constructor(
    readonly info: ResourceInfo,
    private readonly store: Store,
  ) {
    this.strategy = strategyFor(info);
    this.fieldGetters = selectableFields(info);
    this.gr = { group: info.group, resource: info.resource };
    this.conversion = conversionFor(info);
    this.triggerField = TRIGGER_FIELDS[`${info.group}/${info.resource}`];
    const get = this.triggerField !== undefined && !this.conversion ? this.fieldGetters[this.triggerField] : undefined;
    if (get) {
      // One function per store, so the cache computes each event's values once.
      this.triggerOf = (ev) => {
        const cur = get(eventObject(ev));
        if (ev.type !== 'MODIFIED') return [cur];
        const prev = eventPrevObject(ev);
        if (prev === null) return undefined;
        const before = get(prev);
        return before === cur ? [cur] : [cur, before];
      };
    }
  }

  private decode(kv: KeyValue): KubeObject {
    const o = decodeKV(kv);
    return this.conversion ? this.conversion.toExternal(o) : o;
  }

  private tellStored(p: WriteParams, value: string, revision: number): void {
    if (!p.onStored || this.conversion) return;
    const json = stampResourceVersion(value, revision);
    if (json !== undefined) p.onStored(json);
  }

  private encode(obj: KubeObject): string {
    return encodeForStorage(this.conversion ? this.conversion.toStorage(obj) : obj);
  }

  get selectableFieldNames(): string[] {
    return Object.keys(this.fieldGetters);
  }

  private mapError(err: unknown, name: string): never {
    if (err instanceof StatusError) throw err;
    if (isStorageError(err)) {
      switch (err.code) {
        case 'KeyExists':
          throw alreadyExists(this.gr, name);
        case 'NotFound':
          throw notFound(this.gr, name);
        case 'Conflict':
          throw conflict(this.gr, name, 'the object has been modified; please apply your changes to the latest version and try again');
        case 'Expired':
          throw gone(err.message);
        case 'TooLarge':
          throw new StatusError(413, 'RequestEntityTooLarge', `etcdserver: request is too large`);
        case 'InvalidKey':
          throw badRequest(err.message);
        case 'FutureRevision':
          throw new StatusError(504, 'Timeout', `Too large resource version: ${err.message}`, { retryAfterSeconds: 1 });
        default:
          throw internalError(err.message);
      }
    }
    throw internalError(err instanceof Error ? err.message : String(err));
  }

  private stamp(obj: KubeObject): KubeObject {
    obj.apiVersion = apiVersionOf(this.info.group, this.info.version);
    obj.kind = this.info.kind;
    return obj;
  }

  async get(namespace: string | undefined, name: string): Promise<KubeObject> {
    return this.decode(await this.stored(namespace, name));
  }

  /** The stored key-value of one object, or NotFound. */
  private async stored(namespace: string | undefined, name: string) {
    let kv;
    try {
      kv = await this.store.get(objectKey(this.info, namespace, name));
    } catch (err) {
      this.mapError(err, name);
    }
    if (!kv) throw notFound(this.gr, name);
    return kv;
  }

  /**
   * One object as JSON text straight from storage, without decoding it: the
   * cheapest GET, which thousands of kubelets make every status period.
   * undefined when the stored form must be converted; the caller then uses get().
   */
  async getJson(namespace: string | undefined, name: string): Promise<string | undefined> {
    if (this.conversion) return undefined;
    const kv = await this.stored(namespace, name);
    return stampResourceVersion(kv.value, kv.modRevision);
  }

  matches(obj: KubeObject, p: { labelSelector?: LabelSelector; fieldSelector?: FieldSelector }): boolean {
    if (p.labelSelector?.length && !matchesLabels(p.labelSelector, obj.metadata.labels)) return false;
    if (p.fieldSelector?.length && !matchesFieldSelector(this.fieldGetters, p.fieldSelector, obj)) return false;
    return true;
  }

  /** Where a list starts: its key prefix, the revision to read at (0 = now) and the key to continue after. */
  private listStart(p: ListParams): { prefix: string; revision: number; startAfter?: string } {
    const prefix = listPrefix(this.info, p.namespace);
    if (p.continue) {
      const tok = decodeContinue(p.continue, prefix);
      return { prefix, revision: tok.rv, startAfter: tok.after };
    }
    const rv = parseResourceVersion(p.resourceVersion);
    return { prefix, revision: p.resourceVersionMatch === 'Exact' ? rv : 0 };
  }

  async list(p: ListParams): Promise<KubeList> {
    const start = this.listStart(p);
    const { prefix, revision } = start;
    let startAfter = start.startAfter;
    const limit = p.limit && p.limit > 0 ? p.limit : 0;
    const items: KubeObject[] = [];
    let listRev = revision;
    let more = false;
    let lastKey: string | undefined;
    // Selectors filter after reading, so keep reading pages until the limit is filled, as upstream does.
    for (;;) {
      let page;
      try {
        page = await this.store.list(prefix, { limit: limit ? Math.max(limit - items.length, 1) * (p.labelSelector?.length || p.fieldSelector?.length ? 2 : 1) : 0, startAfter, revision: listRev || undefined });
      } catch (err) {
        if (isStorageError(err, 'Expired') && p.continue) {
          throw new StatusError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
        }
        this.mapError(err, '');
      }
      listRev = page.revision;
      for (let i = 0; i < page.items.length; i++) {
        const kv = page.items[i]!;
        lastKey = kv.key;
        const obj = this.decode(kv);
        if (!this.matches(obj, p)) continue;
        items.push(this.stamp(obj));
        if (limit && items.length >= limit) {
          more = i < page.items.length - 1 || page.more;
          break;
        }
      }
      if ((limit && items.length >= limit) || !page.more || page.items.length === 0) break;
      startAfter = lastKey;
    }
    const list: KubeList = {
      apiVersion: apiVersionOf(this.info.group, this.info.version),
      kind: this.info.listKind,
      metadata: { resourceVersion: String(listRev) },
      items,
    };
    if (more && lastKey) list.metadata.continue = encodeContinue(listRev, lastKey, prefix);
    return list;
  }

  /**
   * A list rendered straight to JSON text, without decoding each object:
   * for plain JSON lists with no selectors (informers' and controllers'
   * re-lists, the biggest responses a server sends). undefined when the
   * request needs decoded objects; the caller then uses list(). The items
   * are rendered one by one as the response is written (JsonListBody), so a
   * list of 10,000 pods does not hold a second and third copy of them (each
   * item stamped, then all joined) while a slow client reads it.
   */
  async listJson(p: ListParams): Promise<JsonListBody | undefined> {
    if (this.conversion || p.labelSelector?.length || p.fieldSelector?.length) return undefined;
    const { prefix, revision, startAfter } = this.listStart(p);
    let page;
    try {
      page = await this.store.list(prefix, { limit: p.limit && p.limit > 0 ? p.limit : 0, startAfter, revision: revision || undefined });
    } catch (err) {
      if (isStorageError(err, 'Expired') && p.continue) {
        throw new StatusError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      }
      this.mapError(err, '');
    }
    const meta: Record<string, unknown> = { resourceVersion: String(page.revision) };
    const last = page.items[page.items.length - 1];
    if (page.more && last) meta.continue = encodeContinue(page.revision, last.key, prefix);
    const items = page.items;
    return {
      head: `{"apiVersion":${JSON.stringify(apiVersionOf(this.info.group, this.info.version))},"kind":${JSON.stringify(this.info.listKind)},"metadata":${JSON.stringify(meta)},"items":[`,
      count: items.length,
      item: (i) => {
        const kv = items[i]!;
        return stampResourceVersion(kv.value, kv.modRevision) ?? JSON.stringify(this.stamp(decodeKV(kv)));
      },
      tail: ']}',
    };
  }

  async currentRevision(): Promise<number> {
    return this.store.currentRevision();
  }

  /** Fills server-set metadata, defaults and validates; returns the object to store. */
  prepareCreate(namespace: string | undefined, obj: KubeObject): KubeObject {
    const m = obj.metadata;
    if (this.info.namespaced) m.namespace = namespace;
    else delete m.namespace;
    if (!m.name && m.generateName) m.name = generateName(m.generateName);
    m.uid = randomUUID();
    m.creationTimestamp = nowTimestamp();
    delete m.resourceVersion;
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    delete m.selfLink;
    if (this.strategy.tracksGeneration) m.generation = 1;
    else delete m.generation;
    this.strategy.prepareForCreate(obj);
    applyDefaults(this.info, obj);
    const errs = validateObject(this.info, obj);
    if (errs.length) throw invalid(this.info.kind, this.info.group, m.name ?? m.generateName ?? '', errs);
    return this.stamp(obj);
  }

  async create(namespace: string | undefined, obj: KubeObject, p: WriteParams = {}): Promise<KubeObject> {
    const generated = !obj.metadata.name && !!obj.metadata.generateName;
    this.prepareCreate(namespace, obj);
    if (p.admit) await p.admit(obj, undefined);
    // Upstream's RetryGenerateName (GA in 1.32): a generated name that is already taken is drawn again, up to
    // 8 tries in all, before the client gets the 409. Five random characters collide often enough at a few
    // thousand pods of one ReplicaSet that its controller would otherwise log FailedCreate for them.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.storeNew(namespace, obj, p);
      } catch (err) {
        if (!generated || attempt >= NAME_GENERATION_ATTEMPTS || !(err instanceof StatusError) || err.reason !== 'AlreadyExists') throw err;
        obj.metadata.name = generateName(obj.metadata.generateName!);
      }
    }
  }

  /** The storage half of create(): the object is prepared and admitted. */
  private async storeNew(namespace: string | undefined, obj: KubeObject, p: WriteParams): Promise<KubeObject> {
    const name = obj.metadata.name!;
    if (p.dryRun) {
      const existing = await this.store.get(objectKey(this.info, namespace, name));
      if (existing) throw alreadyExists(this.gr, name);
      return obj;
    }
    try {
      const value = this.encode(obj);
      const key = objectKey(this.info, namespace, name);
      if (p.shareWritten && !this.conversion && this.store.watched?.(key) !== false) rememberWritten(key, value, obj);
      const kv = await this.store.create(key, value, { ttlSeconds: this.info.ttlSeconds });
      obj.metadata.resourceVersion = String(kv.modRevision);
      this.tellStored(p, value, kv.modRevision);
      return obj;
    } catch (err) {
      this.mapError(err, name);
    }
  }

  /**
   * Read-modify-write with compare-and-swap. `mutate` gets a private copy of
   * the current object and returns the desired one. When the desired object
   * names a resourceVersion, it must still be current (409 otherwise);
   * without one, conflicts are retried with fresh state.
   */
  async update(
    namespace: string | undefined,
    name: string,
    mutate: (current: KubeObject) => KubeObject | Promise<KubeObject>,
    p: UpdateParams = {},
  ): Promise<{ object: KubeObject; created: boolean }> {
    const key = objectKey(this.info, namespace, name);
    for (let attempt = 0; ; attempt++) {
      let kv;
      try {
        kv = await this.store.get(key);
      } catch (err) {
        this.mapError(err, name);
      }
      if (!kv) {
        if (p.createIfMissing) {
          const obj = await p.createIfMissing();
          return { object: await this.create(namespace, obj, p), created: true };
        }
        throw notFound(this.gr, name);
      }
      // The old object is only read: the watch cache's copy when it has this revision
      // (a binding right after the pod's create), else a second parse of the stored
      // text, cheaper than structuredClone of the first.
      const shared = this.conversion ? undefined : sharedDecoded(key, kv.modRevision, kv.value);
      const old = shared ?? this.decode(kv);
      const current = p.readsCurrent ? old : shared && p.copyShared ? p.copyShared(shared) : this.decode(kv);
      const desired = await mutate(current);
      const wantRV = desired.metadata.resourceVersion;
      if (wantRV !== undefined && wantRV !== '' && wantRV !== String(kv.modRevision)) {
        throw conflict(this.gr, name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      const next = this.prepareUpdate(desired, old, p.subresource);
      if (p.admit) await p.admit(next, old);
      if (p.dryRun) return { object: next, created: false };
      // Removing the last finalizer of an object whose deletion was requested completes the deletion.
      if (next.metadata.deletionTimestamp && !(next.metadata.finalizers?.length) && !this.strategy.holdsDeletion(next) && (next.metadata.deletionGracePeriodSeconds ?? 0) === 0) {
        try {
          const del = await this.store.delete(key, { expectedRevision: kv.modRevision });
          next.metadata.resourceVersion = String(del.modRevision);
          return { object: next, created: false };
        } catch (err) {
          if (isStorageError(err, 'Conflict') && !wantRV && attempt < 16) continue;
          this.mapError(err, name);
        }
      }
      const value = this.encode(next);
      // Stored values are canonical (encodeForStorage of what was decoded), so the stored text is the old object's.
      if (this.conversion ? encodeForStorage(next) === encodeForStorage(old) : value === kv.value) {
        // A no-op write keeps the resourceVersion, as upstream.
        return { object: this.stamp(shared ? this.decode(kv) : old), created: false };
      }
      try {
        if (p.shareWritten && !this.conversion) rememberWritten(key, value, next);
        const res = await this.store.update(key, value, kv.modRevision, { ttlSeconds: this.info.ttlSeconds });
        next.metadata.resourceVersion = String(res.modRevision);
        this.tellStored(p, value, res.modRevision);
        return { object: next, created: false };
      } catch (err) {
        if (isStorageError(err, 'Conflict') && !wantRV && attempt < 16) continue;
        this.mapError(err, name);
      }
    }
  }

  private prepareUpdate(obj: KubeObject, old: KubeObject, subresource: string | undefined): KubeObject {
    if (typeof obj.metadata !== 'object' || obj.metadata === null) obj.metadata = {};
    const m = obj.metadata;
    const o = old.metadata;
    if (m.name !== undefined && m.name !== o.name) {
      throw badRequest(`the name of the object (${m.name}) does not match the name on the URL (${o.name})`);
    }
    // Server-owned metadata cannot be changed by a client.
    m.name = o.name;
    if (this.info.namespaced) m.namespace = o.namespace;
    if (m.uid !== undefined && m.uid !== '' && m.uid !== o.uid) {
      throw invalid(this.info.kind, this.info.group, o.name!, [{ type: 'FieldValueInvalid', field: 'metadata.uid', detail: `Invalid value: ${JSON.stringify(m.uid)}: field is immutable` }]);
    }
    // Carried over without ever holding undefined: deleting a member that is not the
    // last one added turns the object into a slow dictionary for everything after.
    for (const k of CARRIED_METADATA) {
      if (o[k] !== undefined) (m as Record<string, unknown>)[k] = o[k];
      else if (k in m) delete m[k];
    }
    if ('selfLink' in m) delete m.selfLink;
    for (const k of Object.keys(m) as (keyof typeof m)[]) if (m[k] === undefined) delete m[k];
    if (subresource === 'binding' || subresource === 'finalize') {
      // The binding handler's own mutation (nodeName, PodScheduled) and /finalize's (spec.finalizers
      // only, built from the current object) are trusted, as upstream's assignPod and finalize REST.
      delete m.resourceVersion;
      return this.stamp(obj);
    }
    if (subresource === 'ephemeralcontainers') return this.prepareEphemeralUpdate(obj, old);
    if (subresource === 'status') {
      this.strategy.prepareForStatusUpdate(obj, old);
    } else if (subresource === 'approval' && this.strategy.prepareForApprovalUpdate) {
      this.strategy.prepareForApprovalUpdate(obj, old);
    } else {
      this.strategy.prepareForUpdate(obj, old);
      applyDefaults(this.info, obj);
      if (this.strategy.tracksGeneration && specOf(obj) !== specOf(old)) m.generation = (o.generation ?? 0) + 1;
    }
    delete m.resourceVersion;
    const errs = validateObject(this.info, obj, old);
    if (errs.length) throw invalid(this.info.kind, this.info.group, o.name!, errs);
    return this.stamp(obj);
  }

  /**
   * pods/ephemeralcontainers, as upstream's EphemeralContainersStrategy: everything but
   * spec.ephemeralContainers (and the field manager's record) is taken from the stored pod.
   */
  private prepareEphemeralUpdate(obj: KubeObject, old: KubeObject): KubeObject {
    const next = structuredClone(old);
    const wanted = (obj.spec as { ephemeralContainers?: unknown } | undefined)?.ephemeralContainers;
    const spec = { ...(next.spec as Record<string, unknown>) };
    if (wanted === undefined || wanted === null) delete spec.ephemeralContainers;
    else spec.ephemeralContainers = wanted;
    next.spec = spec;
    if (obj.metadata.managedFields) next.metadata.managedFields = obj.metadata.managedFields;
    applyDefaults(this.info, next);
    delete next.metadata.resourceVersion;
    const errs = validatePodEphemeralContainersUpdate(next, old);
    if (errs.length) throw invalid(this.info.kind, this.info.group, old.metadata.name!, errs);
    return this.stamp(next);
  }

  async delete(namespace: string | undefined, name: string, p: DeleteParams = {}): Promise<DeleteResult> {
    const key = objectKey(this.info, namespace, name);
    for (let attempt = 0; ; attempt++) {
      let kv;
      try {
        kv = await this.store.get(key);
      } catch (err) {
        this.mapError(err, name);
      }
      if (!kv) throw notFound(this.gr, name);
      const obj = this.decode(kv);
      const pre = p.preconditions;
      if (pre?.uid && pre.uid !== obj.metadata.uid) {
        throw conflict(this.gr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== obj.metadata.resourceVersion) {
        throw conflict(this.gr, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`);
      }
      if (p.admit) await p.admit(obj, obj);
      const finalizers = [...(obj.metadata.finalizers ?? [])];
      if (p.propagationPolicy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
      if (p.propagationPolicy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
      const grace = this.strategy.gracePeriod(obj, { gracePeriodSeconds: p.gracePeriodSeconds });
      const now = new Date();
      let pending: KubeObject | null = null;
      if (finalizers.length > 0 || grace > 0 || this.strategy.holdsDeletion(obj)) {
        // Graceful: mark and let the kubelet or the finalizers' owners finish.
        const next = structuredClone(obj);
        const m = next.metadata;
        if (!m.deletionTimestamp || grace < (m.deletionGracePeriodSeconds ?? Infinity)) {
          m.deletionTimestamp = nowTimestamp(new Date(now.getTime() + grace * 1000));
          m.deletionGracePeriodSeconds = grace;
        }
        if (finalizers.length) m.finalizers = finalizers;
        if (this.info.resource === 'namespaces' && this.info.group === '') next.status = { ...(next.status as object), phase: 'Terminating' };
        if (encodeForStorage(next) === encodeForStorage(obj)) return { object: this.stamp(obj), deleted: false };
        pending = next;
      }
      if (p.dryRun) return { object: this.stamp(pending ?? obj), deleted: pending === null };
      try {
        if (pending) {
          const res = await this.store.update(key, this.encode(pending), kv.modRevision, { ttlSeconds: this.info.ttlSeconds });
          pending.metadata.resourceVersion = String(res.modRevision);
          return { object: this.stamp(pending), deleted: false };
        }
        const res = await this.store.delete(key, { expectedRevision: kv.modRevision });
        obj.metadata.resourceVersion = String(res.modRevision);
        return { object: this.stamp(obj), deleted: true };
      } catch (err) {
        if (isStorageError(err, 'Conflict') && attempt < 16) continue;
        if (isStorageError(err, 'NotFound')) throw notFound(this.gr, name);
        this.mapError(err, name);
      }
    }
  }

  /**
   * Watch with upstream semantics: resourceVersion "" or "0" first sends the
   * current state as ADDED events; objects entering or leaving the
   * selectors appear as ADDED / DELETED.
   */
  async watch(
    p: ListParams & { allowBookmarks?: boolean; sendInitialEvents?: boolean },
    emit: WatchEmit,
    onError: (err: StatusError) => void,
  ): Promise<Watcher> {
    const prefix = listPrefix(this.info, p.namespace);
    let from = parseResourceVersion(p.resourceVersion);
    if (from === 0 || p.sendInitialEvents) {
      const list = await this.list({ ...p, limit: 0, continue: undefined, resourceVersion: from ? String(from) : undefined, resourceVersionMatch: from ? 'Exact' : undefined });
      for (const item of list.items) emit('ADDED', item);
      from = Number(list.metadata.resourceVersion);
      if (p.sendInitialEvents && p.allowBookmarks) {
        emit('BOOKMARK', this.bookmark(from, true));
      }
    }
    const matches = (o: KubeObject | null): boolean => o !== null && this.matches(o, p);
    return this.store.watch(
      { key: prefix, recursive: true, fromRevision: from, bookmarkIntervalMs: p.allowBookmarks ? 60_000 : undefined, trigger: this.triggerFor(p.fieldSelector) },
      {
        onEvent: (ev: WatchEvent): void | Promise<void> => {
          if (ev.type === 'BOOKMARK') {
            if (p.allowBookmarks) return emit('BOOKMARK', this.bookmark(ev.revision, false));
            return;
          }
          let cur: KubeObject;
          try {
            cur = eventObject(ev);
          } catch {
            return;
          }
          if (this.conversion) cur = this.conversion.toExternal(cur);
          if (ev.type === 'ADDED') {
            if (matches(cur)) return emit('ADDED', this.stamp(cur));
          } else if (ev.type === 'DELETED') {
            if (matches(cur)) return emit('DELETED', this.stamp(cur));
          } else if (!p.labelSelector?.length && !p.fieldSelector?.length) {
            // Without selectors every object matches: the previous one need not be decoded.
            return emit('MODIFIED', this.stamp(cur));
          } else {
            let prev = eventPrevObject(ev);
            if (prev && this.conversion) prev = this.conversion.toExternal(prev);
            const now = matches(cur);
            const before = prev === null ? now : matches(prev);
            if (now && before) return emit('MODIFIED', this.stamp(cur));
            if (now) return emit('ADDED', this.stamp(cur));
            if (before) return emit('DELETED', this.stamp(cur));
          }
        },
        onError: (err: Error) => {
          if (err instanceof StorageError && err.code === 'Expired') {
            onError(new StatusError(410, 'Expired', `too old resource version: ${from} (${err.revision})`));
          } else onError(internalError(err.message));
        },
      },
    );
  }

  /**
   * The watch cache's trigger for a selector that pins the resource's trigger
   * field (pods: spec.nodeName=<node>, as upstream's pod triggers): only
   * events whose object had or has that value can reach such a watcher.
   */
  private triggerFor(sel: FieldSelector | undefined): WatchTrigger | undefined {
    if (!this.triggerOf || !sel) return undefined;
    const r = sel.find((q) => q.field === this.triggerField && q.op === '=');
    return r ? { value: r.value, of: this.triggerOf } : undefined;
  }

  private bookmark(rv: number, initialEventsEnd: boolean): KubeObject {
    const obj: KubeObject = { metadata: { resourceVersion: String(rv) } };
    if (initialEventsEnd) obj.metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
    return this.stamp(obj);
  }
}
