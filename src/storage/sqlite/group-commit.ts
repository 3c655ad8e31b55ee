// Group commit: the writes made in one turn of the event loop share one SQLite
// transaction, committed in a setImmediate after them. A commit costs more
// than the insert it carries (WAL frames for every page touched, the WAL
// index, file locks), and 64 clients' writes arrive in the same poll phase,
// so one commit now carries many inserts.
//
// What callers see does not change:
// - A write is acknowledged (its promise resolves) only after its COMMIT, at
//   the same durability as before (synchronous=NORMAL or FULL).
// - Watch events are published only after the COMMIT, in revision order.
// - Reads never see an uncommitted row: a read of a key or prefix that an
//   open transaction wrote commits it first (see SqliteStore), and the
//   store's revision stays the committed one until then.
// - Each write still runs its compare-and-swap at once against the newest
//   row, committed or not, so revisions are assigned in order and chained
//   writes to one key in one batch conflict exactly as they did one by one.
// - A statement that fails (a unique-index conflict) fails alone: SQLite
//   undoes that statement only. If SQLite had to undo the whole transaction
//   (I/O error, disk full), or the COMMIT fails, every write in it fails.
import type Database from 'better-sqlite3';
import type { KeyValue, WatchEvent } from '../interface.js';

interface Pending {
  kv: KeyValue;
  event: WatchEvent | undefined;
  resolve: (kv: KeyValue) => void;
  reject: (err: Error) => void;
}

export interface GroupCommitHooks {
  /** After COMMIT, before any write of the batch is acknowledged: publish its events (in order). */
  committed(events: readonly WatchEvent[], writes: number): void;
  /** The transaction was rolled back: none of its writes happened. */
  aborted(): void;
  /** The error a write of a failed batch gets. */
  failure(err: unknown): Error;
}

export class GroupCommit {
  private pending: Pending[] | null = null;
  private readonly keys = new Set<string>();
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly flushSoon = (): void => this.flush();

  constructor(
    private readonly db: Database.Database,
    private readonly hooks: GroupCommitHooks,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
  }

  /** True while writes wait for their COMMIT. */
  get open(): boolean {
    return this.pending !== null;
  }

  /** Starts the batch's transaction unless one is open; call before a write's statements. */
  join(): void {
    if (this.pending) return;
    this.begin.run();
    this.pending = [];
    setImmediate(this.flushSoon);
  }

  /** Records a write whose statements ran in the open transaction; resolves once it is committed. */
  add(kv: KeyValue, event: WatchEvent | undefined): Promise<KeyValue> {
    const batch = this.pending;
    if (!batch) return Promise.reject(new Error('group commit: write outside a transaction'));
    this.keys.add(kv.key);
    return new Promise<KeyValue>((resolve, reject) => {
      batch.push({ kv, event, resolve, reject });
    });
  }

  /** Whether an uncommitted write touched key. */
  wrote(key: string): boolean {
    return this.pending !== null && this.keys.has(key);
  }

  /** Whether an uncommitted write touched a key in [lower, upper). */
  wroteIn(lower: string, upper: string): boolean {
    if (this.pending === null) return false;
    for (const k of this.keys) if (k >= lower && k < upper) return true;
    return false;
  }

  /** A write's statement failed: if SQLite undid the whole transaction, the batch failed with it. */
  statementFailed(err: unknown): void {
    if (this.pending && !this.db.inTransaction) this.fail(err);
  }

  /** Commits the open transaction now (a read needs its rows, the store closes, a timer fired). */
  flush(): void {
    const batch = this.pending;
    if (!batch) return;
    try {
      this.commit.run();
    } catch (err) {
      if (this.db.inTransaction) {
        try {
          this.db.exec('ROLLBACK');
        } catch {
          // The connection is unusable; the writes fail either way.
        }
      }
      this.fail(err);
      return;
    }
    this.pending = null;
    this.keys.clear();
    const events: WatchEvent[] = [];
    for (const w of batch) if (w.event) events.push(w.event);
    this.hooks.committed(events, batch.length);
    for (const w of batch) w.resolve(w.kv);
  }

  private fail(err: unknown): void {
    const batch = this.pending ?? [];
    this.pending = null;
    this.keys.clear();
    this.hooks.aborted();
    const e = this.hooks.failure(err);
    for (const w of batch) w.reject(e);
  }
}
