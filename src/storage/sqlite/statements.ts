// Every SQL statement the backend runs, prepared once. Rows come back as
// arrays (raw mode): no per-row object with named keys on the hot paths.
import type Database from 'better-sqlite3';

/** [id, created, deleted, create_revision, lease, value] of a key's newest row. */
export type LatestRow = [number, number, number, number, number, unknown];
/** [id, name, created, create_revision, value] of a live row in a list. */
export type ListRow = [number, string, number, number, unknown];
/** [id, name, created, deleted, create_revision, value, old_value] of a replayed row. */
export type LogRow = [number, string, number, number, number, unknown, unknown];

export const L_ID = 0;
export const L_CREATED = 1;
export const L_DELETED = 2;
export const L_CREATE_REV = 3;
export const L_LEASE = 4;
export const L_VALUE = 5;

export interface Statements {
  latest: Database.Statement<[string], LatestRow>;
  latestAt: Database.Statement<[string, number], LatestRow>;
  insert: Database.Statement<[string, number, number, number, number, number, string, string | null]>;
  listNow: Database.Statement<[string, string, number], ListRow>;
  listAt: Database.Statement<[string, string, number, number, number], ListRow>;
  countNow: Database.Statement<[string, string], number>;
  replay: Database.Statement<[number, string, string, number], LogRow>;
  /** [id, name] of rows whose lease expired. */
  expired: Database.Statement<[number, number], [number, string]>;
  clearLease: Database.Statement<[number]>;
  /** [id, deleted, prev_revision] of rows in a revision range. */
  compactScan: Database.Statement<[number, number, number], [number, number, number]>;
  deleteRow: Database.Statement<[number]>;
  setMeta: Database.Statement<[string, number]>;
}

export function prepareStatements(db: Database.Database): Statements {
  return {
    latest: db
      .prepare<[string], LatestRow>('SELECT id, created, deleted, create_revision, lease, value FROM kine WHERE name = ? ORDER BY prev_revision DESC LIMIT 1')
      .raw(),
    latestAt: db
      .prepare<[string, number], LatestRow>(
        'SELECT id, created, deleted, create_revision, lease, value FROM kine WHERE name = ? AND id <= ? ORDER BY prev_revision DESC LIMIT 1',
      )
      .raw(),
    insert: db.prepare<[string, number, number, number, number, number, string, string | null]>(
      'INSERT INTO kine (name, created, deleted, create_revision, prev_revision, lease, value, old_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    // A row is a key's newest exactly when no row of that key has a larger
    // prev_revision; the correlated MAX is one index probe per row scanned,
    // and the scan stops at LIMIT, so a page costs its size, not the table's.
    listNow: db
      .prepare<[string, string, number], ListRow>(
        `SELECT kv.id, kv.name, kv.created, kv.create_revision, kv.value FROM kine AS kv
         WHERE kv.name >= ? AND kv.name < ? AND kv.deleted = 0
           AND kv.prev_revision = (SELECT MAX(k2.prev_revision) FROM kine AS k2 WHERE k2.name = kv.name)
         ORDER BY kv.name LIMIT ?`,
      )
      .raw(),
    listAt: db
      .prepare<[string, string, number, number, number], ListRow>(
        `SELECT kv.id, kv.name, kv.created, kv.create_revision, kv.value FROM kine AS kv
         WHERE kv.name >= ? AND kv.name < ? AND kv.deleted = 0 AND kv.id <= ?
           AND kv.prev_revision = (SELECT MAX(k2.prev_revision) FROM kine AS k2 WHERE k2.name = kv.name AND k2.id <= ?)
         ORDER BY kv.name LIMIT ?`,
      )
      .raw(),
    countNow: db
      .prepare<[string, string], number>(
        `SELECT COUNT(*) FROM kine AS kv
         WHERE kv.name >= ? AND kv.name < ? AND kv.deleted = 0
           AND kv.prev_revision = (SELECT MAX(k2.prev_revision) FROM kine AS k2 WHERE k2.name = kv.name)`,
      )
      .pluck(),
    // Walk the log by revision (the rowid), never by the name index: a watch
    // replays what happened after its revision, which is the tail of the log.
    replay: db
      .prepare<[number, string, string, number], LogRow>(
        `SELECT id, name, created, deleted, create_revision, value, old_value FROM kine
         WHERE id > ? AND +name >= ? AND +name < ? ORDER BY id LIMIT ?`,
      )
      .raw(),
    expired: db.prepare<[number, number], [number, string]>('SELECT id, name FROM kine WHERE lease > 0 AND lease <= ? ORDER BY lease LIMIT ?').raw(),
    clearLease: db.prepare<[number]>('UPDATE kine SET lease = 0 WHERE id = ?'),
    compactScan: db.prepare<[number, number, number], [number, number, number]>('SELECT id, deleted, prev_revision FROM kine WHERE id > ? AND id <= ? ORDER BY id LIMIT ?').raw(),
    deleteRow: db.prepare<[number]>('DELETE FROM kine WHERE id = ?'),
    setMeta: db.prepare<[string, number]>('INSERT INTO k8ts_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
  };
}

/** Values are opaque text; a value tampered into another type is decoded, never parsed. */
export function asText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return String(v);
}
