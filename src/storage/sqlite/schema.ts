// The on-disk layout: kine's log table (one row per write, the autoincrement
// id is the global revision) plus a tiny meta table for compaction progress.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type Synchronous = 'NORMAL' | 'FULL';

// AUTOINCREMENT so a revision is never reused, even when compaction deletes
// the newest rows' tombstones. UNIQUE(name, prev_revision) makes every insert
// a compare-and-swap at the database level: two writes derived from the same
// previous row cannot both land. It doubles as the "latest row of a key"
// index, because prev_revision grows along each key's chain of rows.
const DDL = `
CREATE TABLE IF NOT EXISTS kine (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  lease INTEGER NOT NULL DEFAULT 0,
  value TEXT,
  old_value TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS kine_name_prev_revision ON kine (name, prev_revision);
CREATE INDEX IF NOT EXISTS kine_lease ON kine (lease) WHERE lease > 0;
CREATE TABLE IF NOT EXISTS k8ts_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

export function openDatabase(path: string, synchronous: Synchronous): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  // Only the checkpoint worker shares the file (see lock.ts), briefly.
  const db = new Database(path, { timeout: 5000 });
  try {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (path !== ':memory:' && String(mode).toLowerCase() !== 'wal') {
      throw new Error(`could not switch ${path} to WAL (got ${String(mode)})`);
    }
    // NORMAL in WAL mode: a commit is in the OS page cache before we ack it,
    // so it survives kill -9 of this process; FULL also survives power loss.
    db.pragma(`synchronous = ${synchronous}`);
    // SQLite's default page cache (2 MiB), not a larger one. After a write
    // into a secondary index (the log has three), the truncation SQLite does
    // at the end of each write transaction walks its cache's hash table, so
    // every COMMIT costs time in proportion to the cache: with 32 MiB, perf
    // put that walk (pcache1TruncateUnsafe under pager_end_transaction) at
    // 12-18 % of the store's CPU for lone writes such as Lease renewals, with
    // 2 MiB at about 1 %. Lists and point reads were no slower with 2 MiB: the
    // OS page cache under it serves them about as quickly (docs/benchmarks.md,
    // session 15).
    db.pragma('cache_size = -2000');
    db.pragma('temp_store = MEMORY');
    db.exec(DDL);
    // Like etcd, an empty store is at revision 1 and the first write is 2:
    // revision 0 stays free to mean "now" in watches and lists.
    db.exec("INSERT INTO sqlite_sequence (name, seq) SELECT 'kine', 1 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'kine')");
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

export function readMeta(db: Database.Database, key: string): number {
  const v = db.prepare('SELECT value FROM k8ts_meta WHERE key = ?').pluck().get(key);
  return typeof v === 'number' ? v : 0;
}

export function lastRevision(db: Database.Database): number {
  const v = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'kine'").pluck().get();
  return typeof v === 'number' ? v : 0;
}
