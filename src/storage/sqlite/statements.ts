// Every SQL statement the backend runs, prepared once. Rows come back as
// arrays (raw mode): no per-row object with named keys on the hot paths.
import type Database from 'better-sqlite3';

/** [id, created, deleted, create_revision, lease, value] of a key's newest row. */
export type LatestRow = [number, number, number, number, number, unknown];
/** [id, name, create revision, value] of a live key's newest row in a list. */
export type ListRow = [number, string, number, unknown];
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
  listAt: Database.Statement<[string, string, number, number], ListRow>;
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
    // The newest row of each key: MAX over the (name, prev_revision) index
    // alone (covering), where SQLite takes the bare column id from the row
    // holding the maximum; then one rowid lookup per key. The subquery is a
    // co-routine, so the outer LIMIT stops the index scan as soon as the page
    // is full, and tombstones (deleted = 1) are dropped here rather than
    // handed to JavaScript, so one statement always fills a page. Only the
    // four columns a KeyValue needs come back: the create revision is worked
    // out here (a created row's own id). CROSS JOIN keeps the subquery as the
    // outer loop, so rows come out in its key order without sorting (whole
    // values) again; the caller checks that.
    listNow: db
      .prepare<[string, string, number], ListRow>(
        `SELECT kv.id, kv.name, CASE WHEN kv.created THEN kv.id ELSE kv.create_revision END, kv.value
         FROM (SELECT MAX(prev_revision), id FROM kine WHERE name >= ? AND name < ? GROUP BY name ORDER BY name) AS m
         CROSS JOIN kine AS kv ON kv.id = m.id WHERE kv.deleted = 0 LIMIT ?`,
      )
      .raw(),
    listAt: db
      .prepare<[string, string, number, number], ListRow>(
        `SELECT kv.id, kv.name, CASE WHEN kv.created THEN kv.id ELSE kv.create_revision END, kv.value
         FROM (SELECT MAX(prev_revision), id FROM kine WHERE name >= ? AND name < ? AND id <= ? GROUP BY name ORDER BY name) AS m
         CROSS JOIN kine AS kv ON kv.id = m.id WHERE kv.deleted = 0 LIMIT ?`,
      )
      .raw(),
    countNow: db
      .prepare<[string, string], number>(
        `SELECT COUNT(*) FROM (SELECT MAX(prev_revision), id FROM kine WHERE name >= ? AND name < ? GROUP BY name) AS m
         CROSS JOIN kine AS kv ON kv.id = m.id WHERE kv.deleted = 0`,
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
