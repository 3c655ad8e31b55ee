// Compaction of the SQLite log, kine style: history older than a revision C is
// deleted, except each key's newest row at C. It runs in short transactions
// (one batch of rows each) with a macrotask between them, so a writer waits at
// most one batch. Reads below C fail as soon as C is recorded, before any row
// goes; deleting a tombstone together with the row it shadows keeps every read
// at a revision >= C exact while the batches run.
import type Database from 'better-sqlite3';
import { logger } from '../../util/log.js';
import type { Statements } from './statements.js';

const log = logger('storage');

export const META_COMPACT_REV = 'compact_rev';
export const META_COMPACT_DONE = 'compact_done';

export interface CompactorOptions {
  /** Keep this much history (seconds); default 300 as upstream's compaction interval. */
  windowSeconds: number;
  /** How often to sample the revision and compact; default window / 10 (1 s .. 60 s). */
  intervalMs?: number;
  /** Rows scanned per transaction. */
  batchSize?: number;
}

export class Compactor {
  /** Revision compaction was requested to (reads below it fail). */
  compactRev: number;
  /** Revision up to which rows have actually been deleted. */
  private doneRev: number;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private samples: Array<{ at: number; rev: number }> = [];
  private readonly batchSize: number;

  constructor(
    private readonly db: Database.Database,
    private readonly st: Statements,
    private readonly currentRevision: () => number,
    /** Commits the writers' open transaction, so compaction's own transactions stand alone. */
    private readonly flushWrites: () => void,
    initial: { compactRev: number; doneRev: number },
    private readonly opts: CompactorOptions,
  ) {
    this.compactRev = initial.compactRev;
    this.doneRev = initial.doneRev;
    this.batchSize = opts.batchSize ?? 500;
    // A crash in the middle of a compaction leaves shadowed rows behind; finish them.
    if (this.doneRev < this.compactRev) this.enqueue(this.compactRev);
  }

  /** Start compacting periodically to the revision current windowSeconds ago. */
  startPeriodic(now: () => number = Date.now): void {
    if (this.opts.windowSeconds <= 0) return;
    const windowMs = this.opts.windowSeconds * 1000;
    const interval = this.opts.intervalMs ?? Math.min(60_000, Math.max(1000, Math.floor(windowMs / 10)));
    this.timer = setInterval(() => {
      const t = now();
      this.samples.push({ at: t, rev: this.currentRevision() });
      let target = 0;
      while (this.samples.length > 0 && this.samples[0].at <= t - windowMs) {
        target = this.samples.shift()!.rev;
      }
      if (target > this.compactRev) {
        this.compact(target).catch((err: unknown) => log.error({ err }, 'periodic compaction failed'));
      }
    }, interval);
  }

  /** Resolves when rows below revision are gone (or the store closed). */
  compact(revision: number): Promise<void> {
    const target = Math.min(revision, this.currentRevision());
    if (target > this.compactRev) {
      this.flushWrites();
      this.compactRev = target;
      this.st.setMeta.run(META_COMPACT_REV, target);
      this.enqueue(target);
    }
    return this.running;
  }

  /** Finish the batch in flight and stop; the rest resumes on next open. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private enqueue(target: number): void {
    this.running = this.running.then(() => this.run(target));
  }

  private async run(target: number): Promise<void> {
    if (this.stopped || target <= this.doneRev) return;
    // Start one below the previous target: a tombstone sitting exactly on it
    // was kept then (it was not below that target) and is below this one.
    let cursor = Math.max(0, this.doneRev - 1);
    const batch = this.db.transaction((from: number): number => {
      const rows = this.st.compactScan.all(from, target, this.batchSize);
      for (const [id, deleted, prev] of rows) {
        if (prev > 0) this.st.deleteRow.run(prev);
        if (deleted && id < target) this.st.deleteRow.run(id);
      }
      return rows.length === this.batchSize ? rows[rows.length - 1][0] : -1;
    });
    let deletedBatches = 0;
    while (!this.stopped) {
      this.flushWrites();
      const next = batch(cursor);
      deletedBatches++;
      if (next < 0) {
        this.doneRev = target;
        this.st.setMeta.run(META_COMPACT_DONE, target);
        log.debug({ revision: target, batches: deletedBatches }, 'compacted');
        return;
      }
      cursor = next;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
