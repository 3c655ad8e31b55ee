// Checkpointing off the writer's thread. SQLite's automatic checkpoint runs
// inside whichever commit crosses the threshold, so every few hundred writes
// one of them paid for copying megabytes and two fsyncs. Here a worker thread
// does that work on its own connection. What it cannot
// do is let the WAL start over: that happens at a write that finds the WAL
// fully copied, which a busy writer never does. So every couple of thousand
// writes the writer runs one PASSIVE checkpoint itself, with little left to
// copy: two fsyncs per 2048 writes instead of per few hundred.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { reapplyRuntimeFlags } from '../../util/lean-start.js';
import { logger } from '../../util/log.js';

const log = logger('storage');

export interface CheckpointerOptions {
  /** false: leave checkpoints to SQLite's automatic ones on the writer (default true). */
  inWorker?: boolean;
  /** How often the worker checkpoints; default 100 ms. */
  intervalMs?: number;
  /** Writes after which the writer lets the WAL restart; default 2048 (some 20-60 MiB of WAL). */
  restartWrites?: number;
  /** Start the worker once this many writes happened; default 256. */
  startAfterWrites?: number;
}

/** What the worker reports after each pass: WAL frames, and how many are now in the database file. */
interface CheckpointReport {
  log: number;
  checkpointed: number;
  error?: string;
}

// The worker is plain CommonJS evaluated from this string: it then runs the
// same way from compiled output and under a TypeScript loader, which worker
// threads do not inherit.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: 0 });
let timer = null;
let stopping = false;
function pass() {
  timer = null;
  if (stopping) return;
  let report;
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    report = { log: row.log, checkpointed: row.checkpointed };
  } catch (err) {
    report = { log: -1, checkpointed: -1, error: String(err && err.message) };
  }
  parentPort.postMessage(report);
  timer = setTimeout(pass, workerData.intervalMs);
}
parentPort.on('message', (msg) => {
  if (msg !== 'stop') return;
  stopping = true;
  if (timer) clearTimeout(timer);
  db.close();
  parentPort.close();
});
pass();
`;

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

export class Checkpointer {
  private worker: Worker | null = null;
  private exited: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly restartWrites: number;
  private readonly startAfter: number;
  private writes = 0;
  private total = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly opts: CheckpointerOptions = {},
  ) {
    this.restartWrites = opts.restartWrites ?? 2048;
    this.startAfter = opts.startAfterWrites ?? 256;
    // Until the worker runs, SQLite's own automatic checkpoints stay on.
    if (opts.inWorker === false) this.stopped = true;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const worker = this.worker;
    this.worker = null;
    if (worker) {
      // Waiting for its exit must keep this process alive.
      worker.ref();
      worker.postMessage('stop');
      await this.exited;
    }
  }

  /**
   * Called after every commit (outside any transaction), with the writes it
   * carried. Counting writes (not polling the WAL) keeps
   * this working even when the event loop is busy and the worker's reports
   * wait unread.
   */
  afterWrite(count = 1): void {
    if (this.stopped) return;
    // Small stores (tests, idle clusters) never pay for a thread.
    const before = this.total;
    this.total += count;
    if (!this.worker && before < this.startAfter && this.total >= this.startAfter) this.startWorker();
    if (!this.worker) return;
    this.writes += count;
    if (this.writes < this.restartWrites) return;
    this.writes = 0;
    try {
      // Little is left to copy (the worker keeps up); this commit's successor
      // then finds the WAL fully copied and starts it over.
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch (err) {
      log.warn({ err }, 'WAL restart checkpoint failed');
    }
  }

  private startWorker(): void {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, path: this.path, intervalMs: this.opts.intervalMs ?? 100 },
    });
    this.worker = worker;
    // A worker's start resets V8's run-time flags (the held nursery: util/lean-start.ts).
    worker.once('online', reapplyRuntimeFlags);
    this.db.pragma('wal_autocheckpoint = 0');
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (report: CheckpointReport) => {
      if (report.error && !this.stopped) log.warn({ error: report.error }, 'WAL checkpoint failed');
    });
    worker.on('error', (err) => {
      log.error({ err }, 'checkpoint worker failed; checkpointing on the writer again');
      this.worker = null;
      this.stopped = true;
      this.db.pragma('wal_autocheckpoint = 1000');
    });
    // The store's own timers keep the process alive while it is open.
    worker.unref();
  }
}
