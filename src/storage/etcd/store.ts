// The etcd backend: the Store interface on etcd's own revisions, the way
// upstream's etcd3 store does it. Every conditional write is one Txn comparing
// the key's mod_revision; TTLs are leases; watches use etcd's watch with a
// start revision (see watch.ts). An optional namespace prefix isolates several
// stores (or test runs) in one etcd, like --etcd-prefix.
import type { Etcd3, IKeyValue, IRangeResponse, IRequestOp, ITxnResponse } from 'etcd3';
import { StorageError } from '../errors.js';
import {
  KEY_PREFIX,
  type DeleteOptions,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type UpdateFn,
  type UpdateOptions,
  type WatchHandlers,
  type WatchOptions,
  type Watcher,
  type WriteOptions,
} from '../interface.js';
import { checkKey, checkPrefix, checkTtl, checkValue, prefixEnd } from '../keys.js';
import { connectEtcd, type EtcdTls } from './client.js';
import { EtcdCompactor } from './compactor.js';
import { isCompacted, isFutureRevision, mapEtcdError } from './errors.js';
import { LeaseManager } from './leases.js';
import { EtcdWatchManager } from './watch.js';

export interface EtcdStoreOptions {
  endpoints: string[];
  /** Namespace prepended to every key in etcd; default none. */
  prefix?: string;
  watchQueueLimit?: number;
  /** Compact etcd to the revision of one interval ago, as kube-apiserver; default 300 s, 0 disables. */
  compactIntervalSeconds?: number;
  tls?: EtcdTls;
}

const READ_ATTEMPTS = 3;

export class EtcdStore implements Store {
  private readonly client: Etcd3;
  private readonly ns: string;
  private readonly leases: LeaseManager;
  private readonly watches: EtcdWatchManager;
  private readonly compactor: EtcdCompactor;
  private readonly createRevisions = new CreateRevisions();
  /** Highest compaction we know of (ours or reported by etcd), for Expired errors. */
  private compacted = 0;
  private closed = false;

  constructor(opts: EtcdStoreOptions) {
    if (opts.endpoints.length === 0) throw new Error('etcd: no endpoints');
    this.client = connectEtcd(opts.endpoints, opts.tls);
    this.ns = opts.prefix ?? '';
    this.leases = new LeaseManager(this.client.leaseClient);
    this.watches = new EtcdWatchManager(this.client.watchClient, this.ns, opts.watchQueueLimit);
    this.compactor = new EtcdCompactor(this.client, Buffer.from(this.ns + 'compact_rev_key'));
    this.compactor.start(opts.compactIntervalSeconds ?? 300);
  }

  /** Fails with Unavailable unless etcd answers. */
  async ping(): Promise<void> {
    await this.currentRevision();
  }

  async create(key: string, value: string, opts?: WriteOptions): Promise<KeyValue> {
    checkKey(key);
    checkValue(key, value);
    checkTtl(key, opts?.ttlSeconds);
    const k = this.k(key);
    const res = await this.write(key, opts, (lease) => ({
      // mod_revision 0 is etcd's "key absent", as upstream's Create compares.
      compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: 0 }],
      success: [{ request_put: { key: k, value: Buffer.from(value), lease } }],
      failure: [],
    }));
    const revision = Number(res.header.revision);
    if (!res.succeeded) throw new StorageError('KeyExists', key, `key ${key} already exists`);
    return this.remember({ key, value, modRevision: revision, createRevision: revision });
  }

  async get(key: string): Promise<KeyValue | null> {
    checkKey(key);
    const res = await this.read(key, () => this.client.kv.range({ key: this.k(key) }));
    return res.kvs.length > 0 ? this.remember(this.toKeyValue(res.kvs[0])) : null;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    checkPrefix(prefix);
    const start = opts.startAfter !== undefined && opts.startAfter >= prefix ? opts.startAfter + '\0' : prefix;
    const requested = opts.revision && opts.revision > 0 ? opts.revision : 0;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const res = await this.read(prefix, () =>
      this.client.kv.range({
        key: this.k(start),
        range_end: this.k(prefixEnd(prefix)),
        revision: requested,
        limit,
      }),
    );
    const items = res.kvs.map((kv) => this.toKeyValue(kv));
    const remaining = Number(res.count) - items.length;
    return { items, revision: requested || Number(res.header.revision), more: res.more, remaining: Math.max(0, remaining) };
  }

  async update(key: string, value: string, expectedRevision: number, opts?: WriteOptions): Promise<KeyValue> {
    checkKey(key);
    checkValue(key, value);
    checkTtl(key, opts?.ttlSeconds);
    if (expectedRevision <= 0) {
      // mod_revision 0 would mean "absent" to etcd and turn this into a create.
      const cur = await this.get(key);
      if (!cur) throw notFound(key);
      throw conflict(key, expectedRevision, cur.modRevision);
    }
    const res = await this.cas(key, value, expectedRevision, opts, true);
    if ('current' in res) {
      if (!res.current) throw notFound(key);
      throw conflict(key, expectedRevision, res.current.modRevision);
    }
    return res.kv;
  }

  async guaranteedUpdate(key: string, fn: UpdateFn, opts?: UpdateOptions): Promise<KeyValue> {
    checkKey(key);
    checkTtl(key, opts?.ttlSeconds);
    const cached = opts?.current;
    // With the caller's copy, a current one costs a single txn and no read.
    let current = cached && cached.key === key ? this.remember(cached) : await this.get(key);
    let fresh = current !== cached;
    for (;;) {
      if (!current) throw notFound(key);
      const next = await fn(current);
      if (next === current.value) {
        if (fresh) return current;
        // "Nothing to write" must hold for the stored state, not a copy.
        current = await this.get(key);
        fresh = true;
        continue;
      }
      checkValue(key, next);
      // On conflict the failed txn hands back the newer value: no extra get.
      const res = await this.cas(key, next, current.modRevision, opts, false);
      if ('kv' in res) return res.kv;
      current = res.current;
      fresh = true;
    }
  }

  async delete(key: string, opts: DeleteOptions = {}): Promise<KeyValue> {
    checkKey(key);
    const k = this.k(key);
    if (opts.expectedRevision === undefined && !opts.precondition) {
      const res = await this.mutate(key, () => this.client.kv.deleteRange({ key: k, prev_kv: true }));
      if (res.prev_kvs.length === 0) throw notFound(key);
      const prev = this.toKeyValue(res.prev_kvs[0]);
      return { ...prev, modRevision: Number(res.header.revision) };
    }
    let current = await this.get(key);
    for (;;) {
      if (!current) throw notFound(key);
      if (opts.expectedRevision !== undefined && opts.expectedRevision !== current.modRevision) {
        throw conflict(key, opts.expectedRevision, current.modRevision);
      }
      opts.precondition?.(current);
      const expected = current.modRevision;
      const res = await this.mutate(key, () =>
        this.client.kv.txn({
          compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expected }],
          success: [{ request_delete_range: { key: k, prev_kv: true } }],
          failure: [{ request_range: { key: k } }],
        }),
      );
      if (res.succeeded) {
        const prev = res.responses[0].response_delete_range.prev_kvs;
        const base = prev.length > 0 ? this.toKeyValue(prev[0]) : current;
        return { ...base, modRevision: Number(res.header.revision) };
      }
      const kvs = res.responses[0].response_range.kvs;
      current = kvs.length > 0 ? this.toKeyValue(kvs[0]) : null;
    }
  }

  watch(opts: WatchOptions, handlers: WatchHandlers): Watcher {
    if (opts.recursive) checkPrefix(opts.key);
    else checkKey(opts.key);
    if (this.closed) throw new StorageError('Unavailable', opts.key, 'storage closed');
    return this.watches.watch(opts, handlers);
  }

  async currentRevision(): Promise<number> {
    const res = await this.read('', () => this.client.kv.range({ key: this.k(KEY_PREFIX), count_only: true }));
    return Number(res.header.revision);
  }

  async compact(revision: number): Promise<void> {
    if (this.closed) throw new StorageError('Unavailable', '', 'storage closed');
    let target = revision;
    for (;;) {
      try {
        await this.client.kv.compact({ revision: target });
        this.compacted = Math.max(this.compacted, target);
        return;
      } catch (err) {
        if (isCompacted(err)) return;
        if (isFutureRevision(err)) {
          const current = await this.currentRevision();
          if (current >= target) continue;
          target = current;
          continue;
        }
        throw mapEtcdError(err, '');
      }
    }
  }

  async count(prefix: string): Promise<number> {
    checkPrefix(prefix);
    const res = await this.read(prefix, () =>
      this.client.kv.range({ key: this.k(prefix), range_end: this.k(prefixEnd(prefix)), count_only: true }),
    );
    return Number(res.count);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.compactor.stop();
    this.watches.close();
    this.client.close();
  }

  /**
   * One compare-and-swap of key from expected to value. Returns the new
   * KeyValue, or the key's current state (null: absent) when the compare failed.
   */
  private async cas(
    key: string,
    value: string,
    expected: number,
    opts: WriteOptions | undefined,
    keysOnlyOnFailure: boolean,
  ): Promise<{ kv: KeyValue } | { current: KeyValue | null }> {
    const k = this.k(key);
    const known = this.createRevisions.lookup(key, expected);
    const put: IRequestOp = { request_put: { key: k, value: Buffer.from(value), lease: 0 } };
    const res = await this.write(key, opts, (lease) => {
      put.request_put!.lease = lease;
      return {
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expected }],
        // Unless we know it already, a keys-only range returns the create
        // revision, without sending the value back.
        success: known ? [put] : [put, { request_range: { key: k, keys_only: true } }],
        failure: [{ request_range: { key: k, keys_only: keysOnlyOnFailure } }],
      };
    });
    if (res.succeeded) {
      const createRevision = known || Number(res.responses[1].response_range.kvs[0].create_revision);
      return { kv: this.remember({ key, value, modRevision: Number(res.header.revision), createRevision }) };
    }
    const kvs = res.responses[0].response_range.kvs;
    return { current: kvs.length > 0 ? this.remember(this.toKeyValue(kvs[0])) : null };
  }

  private remember(kv: KeyValue): KeyValue {
    this.createRevisions.note(kv.key, kv.modRevision, kv.createRevision);
    return kv;
  }

  /** A write txn, with the TTL's lease; retried once if etcd lost the lease. */
  private async write(
    key: string,
    opts: WriteOptions | undefined,
    build: (lease: string | number) => { compare: unknown[]; success: IRequestOp[]; failure: IRequestOp[] },
  ): Promise<ITxnResponse> {
    for (let attempt = 0; ; attempt++) {
      const lease = opts?.ttlSeconds ? await this.mutate(key, () => this.leases.leaseFor(opts.ttlSeconds!)) : 0;
      try {
        return await this.mutate(key, () => this.client.kv.txn(build(lease) as Parameters<Etcd3['kv']['txn']>[0]));
      } catch (err) {
        if (lease && attempt === 0 && err instanceof Error && err.message.includes('lease not found')) {
          this.leases.forget(String(lease));
          continue;
        }
        throw err;
      }
    }
  }

  private async mutate<T>(key: string, call: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StorageError('Unavailable', key, 'storage closed');
    try {
      return await call();
    } catch (err) {
      if (err instanceof Error && err.message.includes('lease not found')) throw err;
      throw mapEtcdError(err, key, this.compactedRevision());
    }
  }

  /** Reads are idempotent, so a dropped connection is retried a few times. */
  private async read(key: string, call: () => Promise<IRangeResponse>): Promise<IRangeResponse> {
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new StorageError('Unavailable', key, 'storage closed');
      try {
        return await call();
      } catch (err) {
        const mapped = mapEtcdError(err, key, this.compactedRevision());
        if (!(mapped instanceof StorageError) || mapped.code !== 'Unavailable' || attempt >= READ_ATTEMPTS) throw mapped;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }

  private compactedRevision(): number {
    return Math.max(this.compacted, this.watches.compactedRevision);
  }

  private k(key: string): Buffer {
    return Buffer.from(this.ns + key);
  }

  private toKeyValue(kv: IKeyValue): KeyValue {
    return {
      key: kv.key.toString('utf8').slice(this.ns.length),
      value: kv.value.toString('utf8'),
      modRevision: Number(kv.mod_revision),
      createRevision: Number(kv.create_revision),
    };
  }
}

/**
 * The create revision of recently read or written (key, modRevision) pairs.
 * A key at a given modRevision always has the same create revision, so an
 * entry is never stale: at worst it is missing, and the update asks etcd.
 * This saves a range in the usual get-then-update.
 */
class CreateRevisions {
  private readonly map = new Map<string, [number, number]>();

  note(key: string, modRevision: number, createRevision: number): void {
    this.map.delete(key);
    this.map.set(key, [modRevision, createRevision]);
    if (this.map.size > 10_000) this.map.delete(this.map.keys().next().value!);
  }

  lookup(key: string, modRevision: number): number {
    const hit = this.map.get(key);
    return hit && hit[0] === modRevision ? hit[1] : 0;
  }
}

function notFound(key: string): StorageError {
  return new StorageError('NotFound', key, `key ${key} not found`);
}

function conflict(key: string, expected: number, actual: number): StorageError {
  return new StorageError('Conflict', key, `key ${key} has revision ${actual}, expected ${expected}`, actual);
}
