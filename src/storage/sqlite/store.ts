// The SQLite backend: a kine-style log written through one better-sqlite3
// connection (a worker thread's second one only checkpoints). All database
// work is synchronous, so each operation's read-check-insert runs without
// interleaving; the insert itself is the compare-and-swap (see the UNIQUE
// index in schema.ts). Writes of one event-loop turn share a
// transaction, acknowledged once it commits (group-commit.ts). Values are
// stored and returned as opaque text.
import type Database from 'better-sqlite3';
import { StorageError } from '../errors.js';
import type {
  DeleteOptions,
  KeyValue,
  ListOptions,
  ListResult,
  Store,
  UpdateFn,
  UpdateOptions,
  WatchEvent,
  WatchHandlers,
  WatchOptions,
  Watcher,
  WriteOptions,
} from '../interface.js';
import { checkKey, checkPrefix, checkTtl, checkValue, prefixEnd } from '../keys.js';
import { Checkpointer, type CheckpointerOptions } from './checkpointer.js';
import { Compactor, META_COMPACT_DONE, META_COMPACT_REV } from './compactor.js';
import { ExpirySweeper } from './expiry.js';
import { GroupCommit } from './group-commit.js';
import { acquireLock, type FileLock } from './lock.js';
import { lastRevision, openDatabase, readMeta, type Synchronous } from './schema.js';
import {
  asText,
  L_CREATE_REV,
  L_CREATED,
  L_DELETED,
  L_ID,
  L_LEASE,
  L_VALUE,
  prepareStatements,
  type LatestRow,
  type Statements,
} from './statements.js';
import { WatchHub } from './watch-hub.js';

export interface SqliteStoreOptions {
  path: string;
  synchronous?: Synchronous;
  /** History kept before periodic compaction; default 300 s. 0 disables it. */
  compactWindowSeconds?: number;
  compactIntervalMs?: number;
  compactBatchSize?: number;
  /** How often expired TTL keys are deleted; default 1000 ms. */
  ttlSweepIntervalMs?: number;
  /** Undelivered events a direct watcher may hold; see watch-queue.ts. */
  watchQueueLimit?: number;
  /** WAL checkpointing in a worker thread (see checkpointer.ts). */
  checkpoint?: CheckpointerOptions;
  /** How long opening waits for another owner of the file to let go; default 1000 ms. */
  lockTimeoutMs?: number;
  /** Clock for TTLs and the compaction window (tests). */
  now?: () => number;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly lock: FileLock;
  private readonly checkpointer: Checkpointer;
  private readonly st: Statements;
  private readonly hub: WatchHub;
  private readonly compactor: Compactor;
  private readonly sweeper: ExpirySweeper;
  private readonly now: () => number;
  private readonly supersedeLeased: (prevId: number, args: Parameters<Statements['insert']['run']>) => number;
  /** Revision of the newest write, committed or still in the open transaction. */
  private rev: number;
  /** Revision of the newest committed write: the store's revision as everyone outside sees it. */
  private committedRev: number;
  private readonly batch: GroupCommit;
  private closed = false;

  constructor(opts: SqliteStoreOptions) {
    const memory = opts.path === ':memory:';
    try {
      this.lock = memory ? { release() {} } : acquireLock(opts.path, opts.lockTimeoutMs ?? 1000);
    } catch (err) {
      throw new StorageError('Unavailable', '', `cannot open ${opts.path}: in use by another process (${(err as Error).message})`);
    }
    try {
      this.db = openDatabase(opts.path, opts.synchronous ?? 'NORMAL');
    } catch (err) {
      this.lock.release();
      throw new StorageError('Unavailable', '', `cannot open ${opts.path}: ${(err as Error).message}`);
    }
    this.checkpointer = new Checkpointer(this.db, opts.path, memory ? { inWorker: false } : opts.checkpoint);
    this.st = prepareStatements(this.db);
    this.now = opts.now ?? Date.now;
    this.rev = lastRevision(this.db);
    this.committedRev = this.rev;
    this.batch = new GroupCommit(this.db, {
      committed: (events, writes) => {
        this.committedRev = this.rev;
        this.checkpointer.afterWrite(writes);
        if (this.hub.active) for (const ev of events) this.hub.publish(ev);
      },
      aborted: () => {
        this.rev = this.committedRev;
      },
      failure: (err) => mapSqliteError(err, ''),
    });
    this.hub = new WatchHub(
      {
        statements: this.st,
        revision: () => this.committedRev,
        compactedRevision: () => this.compactor.compactRev,
        flush: () => this.batch.flush(),
      },
      opts.watchQueueLimit,
    );
    this.compactor = new Compactor(
      this.db,
      this.st,
      () => this.committedRev,
      () => this.batch.flush(),
      { compactRev: readMeta(this.db, META_COMPACT_REV), doneRev: readMeta(this.db, META_COMPACT_DONE) },
      { windowSeconds: opts.compactWindowSeconds ?? 300, intervalMs: opts.compactIntervalMs, batchSize: opts.compactBatchSize },
    );
    this.compactor.startPeriodic(this.now);
    this.sweeper = new ExpirySweeper(this.st, (key, revision) => this.expire(key, revision), this.now);
    this.sweeper.start(opts.ttlSweepIntervalMs ?? 1000);
    this.supersedeLeased = this.db.transaction((prevId: number, args: Parameters<Statements['insert']['run']>) => {
      this.st.clearLease.run(prevId);
      return Number(this.st.insert.run(...args).lastInsertRowid);
    });
  }

  async create(key: string, value: string, opts?: WriteOptions): Promise<KeyValue> {
    checkKey(key);
    checkValue(key, value);
    checkTtl(key, opts?.ttlSeconds);
    this.assertOpen(key);
    const cur = this.st.latest.get(key);
    if (cur && !cur[L_DELETED]) {
      throw new StorageError('KeyExists', key, `key ${key} already exists`, cur[L_ID]);
    }
    const id = this.write(key, 1, 0, 0, cur, this.lease(opts), value, null);
    const event: WatchEvent | undefined = this.hub.active ? { type: 'ADDED', key, value, revision: id, createRevision: id } : undefined;
    return this.batch.add({ key, value, modRevision: id, createRevision: id }, event);
  }

  async get(key: string): Promise<KeyValue | null> {
    checkKey(key);
    this.assertOpen(key);
    if (this.batch.wrote(key)) this.batch.flush();
    const cur = this.st.latest.get(key);
    return cur && !cur[L_DELETED] ? toKeyValue(key, cur) : null;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    checkPrefix(prefix);
    this.assertOpen(prefix);
    const upper = prefixEnd(prefix);
    if (this.batch.wroteIn(prefix, upper)) this.batch.flush();
    const revision = this.readRevision(prefix, opts.revision);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    // The successor of startAfter in byte order is startAfter + NUL.
    const lower = opts.startAfter !== undefined && opts.startAfter >= prefix ? opts.startAfter + '\0' : prefix;
    // One row more than the page tells whether more follow; tombstones are
    // filtered in SQL, so one statement fills the page.
    const want = limit > 0 ? limit + 1 : -1;
    // Uncommitted rows all lie outside the prefix here and above committedRev, so neither statement sees them.
    const rows = revision === this.committedRev ? this.st.listNow.all(lower, upper, want) : this.st.listAt.all(lower, upper, revision, want);
    const n = rows.length;
    const items = new Array<KeyValue>(n);
    let sorted = true;
    let last = '';
    for (let i = 0; i < n; i++) {
      const row = rows[i];
      const name = row[1];
      if (name < last) sorted = false;
      else last = name;
      const value = row[3];
      items[i] = { key: name, value: typeof value === 'string' ? value : asText(value), modRevision: row[0], createRevision: row[2] };
    }
    // Never expected (see listNow); UTF-8 byte order is what etcd and SQLite use.
    if (!sorted) items.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    const more = limit > 0 && items.length > limit;
    if (more) items.length = limit;
    return { items, revision, more };
  }

  async update(key: string, value: string, expectedRevision: number, opts?: WriteOptions): Promise<KeyValue> {
    checkKey(key);
    checkValue(key, value);
    checkTtl(key, opts?.ttlSeconds);
    this.assertOpen(key);
    return this.updateNow(key, value, expectedRevision, opts);
  }

  /** The key's state is always read from memory here, so a caller's copy (opts.current) saves nothing and is not used. */
  async guaranteedUpdate(key: string, fn: UpdateFn, opts?: UpdateOptions): Promise<KeyValue> {
    checkKey(key);
    checkTtl(key, opts?.ttlSeconds);
    for (;;) {
      this.assertOpen(key);
      const cur = this.st.latest.get(key);
      if (!cur || cur[L_DELETED]) throw notFound(key);
      const current = toKeyValue(key, cur);
      let next = fn(current);
      if (typeof next !== 'string') {
        next = await next;
        this.assertOpen(key);
        // fn yielded: the key may have moved on meanwhile.
        const now = this.st.latest.get(key);
        if (!now || now[L_DELETED]) throw notFound(key);
        if (now[L_ID] !== current.modRevision) continue;
      }
      if (next === current.value) return current;
      checkValue(key, next);
      return this.updateNow(key, next, current.modRevision, opts);
    }
  }

  async delete(key: string, opts: DeleteOptions = {}): Promise<KeyValue> {
    checkKey(key);
    this.assertOpen(key);
    const cur = this.st.latest.get(key);
    if (!cur || cur[L_DELETED]) throw notFound(key);
    if (opts.expectedRevision !== undefined && opts.expectedRevision !== cur[L_ID]) {
      throw conflict(key, opts.expectedRevision, cur[L_ID]);
    }
    const current = toKeyValue(key, cur);
    opts.precondition?.(current);
    return this.deleteRow(key, cur, current);
  }

  watch(opts: WatchOptions, handlers: WatchHandlers): Watcher {
    if (opts.recursive) checkPrefix(opts.key);
    else checkKey(opts.key);
    this.assertOpen(opts.key);
    return this.hub.watch(opts, handlers);
  }

  async currentRevision(): Promise<number> {
    this.assertOpen('');
    return this.committedRev;
  }

  async compact(revision: number): Promise<void> {
    this.assertOpen('');
    await this.compactor.compact(revision);
  }

  async count(prefix: string): Promise<number> {
    checkPrefix(prefix);
    this.assertOpen(prefix);
    const upper = prefixEnd(prefix);
    if (this.batch.wroteIn(prefix, upper)) this.batch.flush();
    return this.st.countNow.get(prefix, upper) ?? 0;
  }

  /** The connection's durability settings, for startup logs and tests. */
  settings(): { journalMode: string; synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA'; lockingMode: string } {
    this.assertOpen('');
    const sync = Number(this.db.pragma('synchronous', { simple: true }));
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: (['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const)[sync] ?? 'OFF',
      lockingMode: String(this.db.pragma('locking_mode', { simple: true })),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Writes already made are committed and acknowledged, as they would have been without batching.
    this.batch.flush();
    this.closed = true;
    this.sweeper.stop();
    this.hub.closeAll(new StorageError('Unavailable', '', 'storage closed'));
    await this.compactor.stop();
    // The worker's connection goes first, so ours is the last one and
    // closing it folds the WAL into the database file.
    await this.checkpointer.stop();
    this.db.close();
    this.lock.release();
  }

  private updateNow(key: string, value: string, expectedRevision: number, opts?: WriteOptions): Promise<KeyValue> {
    const cur = this.st.latest.get(key);
    if (!cur || cur[L_DELETED]) throw notFound(key);
    if (cur[L_ID] !== expectedRevision) throw conflict(key, expectedRevision, cur[L_ID]);
    const createRevision = cur[L_CREATED] ? cur[L_ID] : cur[L_CREATE_REV];
    const prevValue = asText(cur[L_VALUE]);
    const id = this.write(key, 0, 0, createRevision, cur, this.lease(opts), value, prevValue);
    const event: WatchEvent | undefined = this.hub.active ? { type: 'MODIFIED', key, value, revision: id, createRevision, prevValue } : undefined;
    return this.batch.add({ key, value, modRevision: id, createRevision }, event);
  }

  private deleteRow(key: string, cur: LatestRow, current: KeyValue): Promise<KeyValue> {
    const id = this.write(key, 0, 1, current.createRevision, cur, 0, current.value, null);
    const event: WatchEvent | undefined = this.hub.active
      ? { type: 'DELETED', key, value: current.value, revision: id, createRevision: current.createRevision, prevValue: current.value }
      : undefined;
    return this.batch.add({ key, value: current.value, modRevision: id, createRevision: current.createRevision }, event);
  }

  private expire(key: string, revision: number): void {
    if (this.closed) return;
    const cur = this.st.latest.get(key);
    if (!cur || cur[L_DELETED] || cur[L_ID] !== revision) return;
    // Nobody waits for an expiry; a batch that fails takes it along and the next sweep retries.
    this.deleteRow(key, cur, toKeyValue(key, cur)).catch(() => {});
  }

  /** Insert one row chained to cur; returns its revision. */
  private write(
    key: string,
    created: number,
    deleted: number,
    createRevision: number,
    cur: LatestRow | undefined,
    lease: number,
    value: string,
    oldValue: string | null,
  ): number {
    const prev = cur ? cur[L_ID] : 0;
    let id: number;
    try {
      this.batch.join();
      if (cur && cur[L_LEASE] > 0) {
        id = this.supersedeLeased(prev, [key, created, deleted, createRevision, prev, lease, value, oldValue]);
      } else {
        id = Number(this.st.insert.run(key, created, deleted, createRevision, prev, lease, value, oldValue).lastInsertRowid);
      }
    } catch (err) {
      this.batch.statementFailed(err);
      throw mapSqliteError(err, key);
    }
    this.rev = id;
    return id;
  }

  private lease(opts: WriteOptions | undefined): number {
    return opts?.ttlSeconds ? this.now() + Math.ceil(opts.ttlSeconds * 1000) : 0;
  }

  private readRevision(key: string, requested: number | undefined): number {
    const revision = requested && requested > 0 ? requested : this.committedRev;
    const compacted = this.compactor.compactRev;
    if (revision < compacted) {
      throw new StorageError('Expired', key, `revision ${revision} has been compacted (oldest available ${compacted})`, compacted);
    }
    if (revision > this.committedRev) {
      throw new StorageError('FutureRevision', key, `revision ${revision} is newer than the current revision ${this.committedRev}`, this.committedRev);
    }
    return revision;
  }

  private assertOpen(key: string): void {
    if (this.closed) throw new StorageError('Unavailable', key, 'storage closed');
  }
}

function toKeyValue(key: string, row: LatestRow): KeyValue {
  const id = row[L_ID];
  return { key, value: asText(row[L_VALUE]), modRevision: id, createRevision: row[L_CREATED] ? id : row[L_CREATE_REV] };
}

function notFound(key: string): StorageError {
  return new StorageError('NotFound', key, `key ${key} not found`);
}

function conflict(key: string, expected: number, actual: number): StorageError {
  return new StorageError('Conflict', key, `key ${key} has revision ${actual}, expected ${expected}`, actual);
}

function mapSqliteError(err: unknown, key: string): Error {
  const code = (err as { code?: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return new StorageError('Conflict', key, `key ${key} was written concurrently`);
  }
  if (typeof code === 'string' && code.startsWith('SQLITE_')) {
    return new StorageError('Unavailable', key, `sqlite: ${(err as Error).message} (${code})`);
  }
  return err instanceof Error ? err : new Error(String(err));
}
