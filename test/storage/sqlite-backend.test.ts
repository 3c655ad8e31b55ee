// SQLite specifics the conformance suite cannot see: the table after
// compaction, compaction in batches between writes, the window, TTLs across
// restarts, durability settings and odd values written behind our back.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { isStorageError } from '../../src/storage/errors.js';
import { SqliteStore } from '../../src/storage/sqlite/store.js';
import { Collector, rejectsWith, sleep } from './conformance/harness.js';

const P = '/registry/configmaps/';

describe('sqlite backend', () => {
  let dir: string;
  let path: string;
  const open: SqliteStore[] = [];
  const openStore = (opts: Partial<ConstructorParameters<typeof SqliteStore>[0]> = {}): SqliteStore => {
    const s = new SqliteStore({ path, compactWindowSeconds: 0, ...opts });
    open.push(s);
    return s;
  };
  const rows = (where = '1'): number => {
    const db = new Database(path, { readonly: true });
    try {
      return db.prepare(`SELECT COUNT(*) FROM kine WHERE ${where}`).pluck().get() as number;
    } finally {
      db.close();
    }
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-sqlite-'));
    path = join(dir, 'state.db');
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('WAL, synchronous NORMAL by default and FULL on request, one owner at a time', async () => {
    const s = openStore();
    assert.deepEqual(s.settings(), { journalMode: 'wal', synchronous: 'NORMAL', lockingMode: 'normal' });
    await s.create(`${P}a`, 'x');
    assert.throws(
      () => new SqliteStore({ path, lockTimeoutMs: 0 }),
      (err: unknown) => isStorageError(err, 'Unavailable') && /in use/.test(err.message),
      'a second owner cannot write behind the watch fan-out',
    );
    await s.close();
    const full = openStore({ synchronous: 'FULL' });
    assert.equal(full.settings().synchronous, 'FULL');
    assert.equal((await full.get(`${P}a`))?.value, 'x');
  });

  test('the WAL starts over under sustained writes (checkpoints in a worker thread)', async () => {
    const s = openStore({ checkpoint: { restartWrites: 500, startAfterWrites: 10 } });
    const value = 'v'.repeat(600);
    let maxWal = 0;
    // A tight loop that never yields to the event loop, the worst case.
    for (let i = 0; i < 6000; i++) {
      await s.create(`${P}w${i}`, value);
      if (i % 250 === 0) maxWal = Math.max(maxWal, statSync(`${path}-wal`).size);
    }
    assert.ok(maxWal < 40 * 1024 * 1024, `WAL grew to ${maxWal} bytes`);
    await s.close();
    assert.equal(existsSync(`${path}-wal`), false, 'closing folds the WAL into the database');
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      assert.equal(db.prepare("SELECT COUNT(*) FROM kine WHERE name LIKE '/registry/configmaps/w%'").pluck().get(), 6000);
    } finally {
      db.close();
    }
  });

  test('compaction deletes shadowed rows and tombstones, keeps the state at its revision', async () => {
    let s = openStore();
    const a = await s.create(`${P}a`, '0');
    let cur = a;
    for (let i = 1; i <= 100; i++) cur = await s.update(`${P}a`, String(i), cur.modRevision);
    await s.create(`${P}gone`, 'x');
    await s.delete(`${P}gone`);
    await s.create(`${P}b`, 'b');
    const at = await s.currentRevision();
    await s.update(`${P}b`, 'b2', (await s.get(`${P}b`))!.modRevision);
    await s.compact(at);
    await s.close();
    // a: only its newest row; gone: nothing; b: the row at `at` and the newer one.
    assert.equal(rows(`name = '${P}a'`), 1);
    assert.equal(rows(`name = '${P}gone'`), 0);
    assert.equal(rows(`name = '${P}b'`), 2);

    s = openStore();
    await rejectsWith(s.list(P, { revision: at - 1 }), 'Expired');
    assert.deepEqual(
      (await s.list(P, { revision: at })).items.map((i) => [i.key, i.value]),
      [
        [`${P}a`, '100'],
        [`${P}b`, 'b'],
      ],
    );
    // The key that was deleted before compaction can be created again.
    const again = await s.create(`${P}gone`, 'back');
    assert.equal(again.createRevision, again.modRevision);
  });

  test('compaction runs in small batches that writes slip between', async () => {
    const s = openStore({ compactBatchSize: 50 });
    let cur = await s.create(`${P}hot`, '0');
    for (let i = 0; i < 3000; i++) cur = await s.update(`${P}hot`, String(i), cur.modRevision);
    let compactDone = false;
    const compacting = s.compact(cur.modRevision).then(() => {
      compactDone = true;
    });
    let interleaved = 0;
    while (!compactDone) {
      await s.create(`${P}w${interleaved++}`, 'x');
      await new Promise((r) => setImmediate(r));
    }
    await compacting;
    assert.ok(interleaved > 5, `writes ran between compaction batches (${interleaved})`);
    await s.close();
    assert.equal(rows(`name = '${P}hot'`), 1);
  });

  test('periodic compaction keeps the window and expires older reads', async () => {
    const s = openStore({ compactWindowSeconds: 0.2, compactIntervalMs: 20 });
    let cur = await s.create(`${P}c`, '0');
    const old = cur.modRevision;
    for (let i = 0; i < 10; i++) cur = await s.update(`${P}c`, String(i), cur.modRevision);
    // Wait (however long it takes) for the window to pass and a compaction to land.
    for (;;) {
      try {
        await s.list(P, { revision: old });
      } catch (err) {
        assert.ok(isStorageError(err, 'Expired'));
        break;
      }
      await sleep(20);
    }
    assert.equal((await s.get(`${P}c`))?.value, '9');
  });

  test('a TTL key written before a restart still expires, with a DELETED event', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    let s = openStore({ now: () => now, ttlSweepIntervalMs: 20 });
    const ev = await s.create(`${P}event`, 'e', { ttlSeconds: 3600 });
    await s.create(`${P}plain`, 'p');
    await s.close();
    now += 3601 * 1000;
    s = openStore({ now: () => now, ttlSweepIntervalMs: 20 });
    const c = Collector.start(s, { key: P, recursive: true, fromRevision: ev.modRevision });
    await c.until(() => c.changes.some((e) => e.type === 'DELETED'));
    c.stop();
    assert.equal(c.changes.length, 2);
    assert.equal(c.changes[1].key, `${P}event`);
    assert.equal(await s.get(`${P}event`), null);
    assert.equal((await s.get(`${P}plain`))?.value, 'p');
  });

  test('a replay paces itself to a consumer that applies backpressure', async () => {
    const s = openStore({ watchQueueLimit: 20 });
    const first = await s.create(`${P}r0`, '0');
    for (let i = 1; i < 300; i++) await s.create(`${P}r${i}`, String(i));
    const seen: number[] = [];
    let failed: Error | null = null;
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const w = s.watch(
      { key: P, recursive: true, fromRevision: first.modRevision - 1 },
      {
        onEvent: async (e) => {
          seen.push(e.revision);
          await new Promise((r) => setImmediate(r));
          if (seen.length === 300) resolveDone();
        },
        onError: (err) => {
          failed = err;
          resolveDone();
        },
      },
    );
    await done;
    w.stop();
    assert.equal(failed, null);
    assert.deepEqual(seen, Array.from({ length: 300 }, (_, i) => first.modRevision + i));
  });

  test('values of the wrong type in the table come back as text', async () => {
    let s = openStore();
    for (const k of ['null', 'int', 'text', 'blob', 'ok']) await s.create(`${P}${k}`, '{}');
    await s.close();
    const db = new Database(path);
    db.prepare('UPDATE kine SET value = NULL WHERE name = ?').run(`${P}null`);
    db.prepare('UPDATE kine SET value = 42 WHERE name = ?').run(`${P}int`);
    db.prepare("UPDATE kine SET value = '{\"kind\":' WHERE name = ?").run(`${P}text`);
    db.prepare('UPDATE kine SET value = ? WHERE name = ?').run(Buffer.from('{"a":1}'), `${P}blob`);
    db.close();
    s = openStore();
    const got = Object.fromEntries((await s.list(P)).items.map((i) => [i.key.slice(P.length), i.value]));
    assert.deepEqual(got, { blob: '{"a":1}', int: '42', null: '', ok: '{}', text: '{"kind":' });
    const c = Collector.start(s, { key: P, recursive: true, fromRevision: 1 });
    await c.until(() => c.changes.length === 5);
    c.stop();
    assert.ok(c.changes.every((e) => typeof e.value === 'string'));
  });
});
