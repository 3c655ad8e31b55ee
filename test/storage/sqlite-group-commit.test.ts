// Group commit on the SQLite backend (src/storage/sqlite/group-commit.ts):
// writes of one event-loop turn share a transaction, and nobody can tell
// from revisions, errors, reads or watch events.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { isStorageError } from '../../src/storage/errors.js';
import type { KeyValue, WatchEvent } from '../../src/storage/interface.js';
import { GroupCommit } from '../../src/storage/sqlite/group-commit.js';
import { SqliteStore } from '../../src/storage/sqlite/store.js';

const P = '/registry/configmaps/';

/** The number of committed rows, read through a second connection (which never sees an open transaction). */
function committedRows(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT COUNT(*) FROM kine').pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('sqlite group commit', () => {
  let dir: string;
  let path: string;
  let store: SqliteStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-groupcommit-'));
    path = join(dir, 'state.db');
    store = new SqliteStore({ path, compactWindowSeconds: 0 });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('concurrent creates share one commit and get distinct revisions in call order', async () => {
    const base = await store.currentRevision();
    const before = committedRows(path);
    const writes = Array.from({ length: 50 }, (_, i) => store.create(`${P}c${i}`, `v${i}`));
    // Nothing is committed (nor visible as the store's revision) until the turn ends.
    assert.equal(committedRows(path), before);
    assert.equal(await store.currentRevision(), base);
    const kvs = await Promise.all(writes);
    assert.deepEqual(
      kvs.map((kv) => kv.modRevision),
      Array.from({ length: 50 }, (_, i) => base + 1 + i),
    );
    assert.equal(committedRows(path), before + 50);
    assert.equal(await store.currentRevision(), base + 50);
  });

  test('a failing write in a batch fails alone', async () => {
    await store.create(`${P}exists`, 'old');
    const cm = await store.create(`${P}cm`, '0');
    const results = await Promise.allSettled([
      store.create(`${P}a`, 'a'),
      store.create(`${P}exists`, 'again'),
      store.update(`${P}cm`, '1', cm.modRevision),
      store.update(`${P}cm`, '2', cm.modRevision),
      store.delete(`${P}missing`),
      store.create(`${P}b`, 'b'),
    ]);
    const [a, exists, up1, up2, missing, b] = results;
    assert.equal(a.status, 'fulfilled');
    assert.ok(exists.status === 'rejected' && isStorageError(exists.reason, 'KeyExists'));
    assert.equal(up1.status, 'fulfilled');
    // Chained in one transaction, the second update sees the first's row, as it would have one by one.
    assert.ok(up2.status === 'rejected' && isStorageError(up2.reason, 'Conflict'));
    assert.ok(missing.status === 'rejected' && isStorageError(missing.reason, 'NotFound'));
    assert.equal(b.status, 'fulfilled');
    const revs = [a, up1, b].map((r) => (r as PromiseFulfilledResult<KeyValue>).value.modRevision);
    assert.ok(revs[0]! < revs[1]! && revs[1]! < revs[2]!, `revisions increase: ${revs.join(',')}`);
    assert.equal((await store.get(`${P}exists`))?.value, 'old');
    assert.equal((await store.get(`${P}cm`))?.value, '1');
    assert.equal((await store.get(`${P}b`))?.modRevision, revs[2]);
  });

  test('a read of a key or prefix an open batch wrote commits it first; other reads see the committed state', async () => {
    const base = await store.currentRevision();
    const write = store.create(`${P}x`, 'x');
    // Another prefix: read at the committed revision, the open batch stays open.
    const other = await store.list('/registry/secrets/');
    assert.equal(other.revision, base);
    assert.equal(committedRows(path), 0);
    // The written key: committed, then read.
    const got = await store.get(`${P}x`);
    assert.equal(got?.value, 'x');
    assert.equal(committedRows(path), 1);
    assert.equal((await write).modRevision, got?.modRevision);
    const write2 = store.create(`${P}y`, 'y');
    const list = await store.list(P);
    assert.deepEqual(
      list.items.map((kv) => kv.key),
      [`${P}x`, `${P}y`],
    );
    assert.equal(list.revision, (await write2).modRevision);
    store.create(`${P}z`, 'z').catch(() => {});
    assert.equal(await store.count(P), 3);
  });

  test('watch events come after the commit, in revision order, each once', async () => {
    const events: WatchEvent[] = [];
    const w = store.watch({ key: P, recursive: true, fromRevision: 0 }, { onEvent: (ev) => void events.push(ev), onError: (err) => assert.fail(err) });
    try {
      const first = store.create(`${P}w0`, '0');
      const second = store.create(`${P}w1`, '1');
      assert.equal(events.length, 0, 'no event before the commit');
      const [k0, k1] = await Promise.all([first, second]);
      const k0b = await store.update(`${P}w0`, '0b', k0.modRevision);
      // A watch started while a batch is open replays it from the log exactly once.
      const pending = store.delete(`${P}w1`);
      const late: WatchEvent[] = [];
      const w2 = store.watch({ key: P, recursive: true, fromRevision: k0.modRevision }, { onEvent: (ev) => void late.push(ev), onError: (err) => assert.fail(err) });
      const del = await pending;
      await new Promise((r) => setTimeout(r, 20));
      w2.stop();
      const seen = (evs: WatchEvent[]) => evs.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.key} ${e.revision}`);
      assert.deepEqual(seen(events), [`ADDED ${P}w0 ${k0.modRevision}`, `ADDED ${P}w1 ${k1.modRevision}`, `MODIFIED ${P}w0 ${k0b.modRevision}`, `DELETED ${P}w1 ${del.modRevision}`]);
      assert.deepEqual(seen(late), [`ADDED ${P}w1 ${k1.modRevision}`, `MODIFIED ${P}w0 ${k0b.modRevision}`, `DELETED ${P}w1 ${del.modRevision}`]);
    } finally {
      w.stop();
    }
  });

  test('acknowledged writes are on disk when the store closes with a batch open', async () => {
    const write = store.create(`${P}last`, 'v');
    await store.close();
    const kv = await write;
    store = new SqliteStore({ path, compactWindowSeconds: 0 });
    assert.equal((await store.get(`${P}last`))?.modRevision, kv.modRevision);
  });
});

describe('GroupCommit', () => {
  test('a failed COMMIT fails every write of the batch and rolls it back', async () => {
    const db = new Database(':memory:');
    try {
      db.pragma('foreign_keys = ON');
      db.exec('CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED)');
      const log: string[] = [];
      const gc = new GroupCommit(db, {
        committed: (_events, writes) => void log.push(`committed ${writes}`),
        aborted: () => void log.push('aborted'),
        failure: (err) => new Error(`batch failed: ${(err as Error).message}`),
      });
      const kv = (key: string): KeyValue => ({ key, value: '', modRevision: 0, createRevision: 0 });
      gc.join();
      db.prepare('INSERT INTO c (id, p) VALUES (1, NULL)').run();
      const ok = gc.add(kv('ok'), undefined);
      // A deferred foreign key: the statement succeeds, the COMMIT cannot.
      db.prepare('INSERT INTO c (id, p) VALUES (2, 42)').run();
      const bad = gc.add(kv('bad'), undefined);
      gc.flush();
      const results = await Promise.allSettled([ok, bad]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['rejected', 'rejected'],
      );
      assert.match(String((results[0] as PromiseRejectedResult).reason), /batch failed: FOREIGN KEY/);
      assert.deepEqual(log, ['aborted']);
      assert.equal(db.inTransaction, false);
      assert.equal(db.prepare('SELECT COUNT(*) FROM c').pluck().get(), 0);
      // The next batch starts afresh.
      gc.join();
      db.prepare('INSERT INTO c (id, p) VALUES (3, NULL)').run();
      const next = gc.add(kv('next'), undefined);
      gc.flush();
      assert.equal((await next).key, 'next');
      assert.deepEqual(log, ['aborted', 'committed 1']);
    } finally {
      db.close();
    }
  });
});
