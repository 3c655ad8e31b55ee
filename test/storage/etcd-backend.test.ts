// etcd specifics: surviving an etcd restart mid-watch, etcd's own request
// size limit, lease sharing for TTL keys, and an unreachable etcd.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { MAX_VALUE_BYTES } from '../../src/storage/interface.js';
import { EtcdStore } from '../../src/storage/etcd/store.js';
import { openStore } from '../../src/storage/open.js';
import { etcdSkip, startEtcd, type EtcdProcess } from '../helpers/etcd.js';
import { Collector, rejectsWith } from './conformance/harness.js';

const P = '/registry/leases/';

/** Counts the store's etcd txn and range calls; each call of the result returns the counts since the last one. */
function countCalls(s: EtcdStore): () => { txn: number; range: number } {
  // The client is private: reach it for counting only.
  const kv = (s as unknown as { client: Etcd3 }).client.kv;
  const counts = { txn: 0, range: 0 };
  for (const method of ['txn', 'range'] as const) {
    const original = kv[method].bind(kv) as (...args: unknown[]) => Promise<unknown>;
    (kv as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      counts[method]++;
      return original(...args);
    };
  }
  return () => {
    const out = { ...counts };
    counts.txn = 0;
    counts.range = 0;
    return out;
  };
}

describe('etcd backend specifics', { skip: etcdSkip() }, () => {
  let etcd: EtcdProcess;
  let n = 0;
  const store = (): EtcdStore =>
    new EtcdStore({ endpoints: etcd.endpoints, prefix: `/spec-${process.pid}-${++n}`, compactIntervalSeconds: 0 });

  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd.stop();
  });

  test('a watch resumes after an etcd restart with nothing lost or doubled', async () => {
    const s = store();
    try {
      const first = await s.create(`${P}a0`, '0');
      const c = Collector.start(s, { key: P, recursive: true, fromRevision: first.modRevision });
      const revs: number[] = [];
      for (let i = 1; i <= 5; i++) revs.push((await s.create(`${P}a${i}`, String(i))).modRevision);
      await c.untilRevision(revs[4]);
      await etcd.restart();
      // Writes right after the restart may meet a reconnecting channel.
      for (let i = 6; i <= 10; i++) {
        for (;;) {
          try {
            revs.push((await s.create(`${P}a${i}`, String(i))).modRevision);
            break;
          } catch (err) {
            if ((err as { code?: string }).code !== 'Unavailable') throw err;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      }
      await c.untilRevision(revs[9]);
      c.stop();
      assert.deepEqual(
        c.changes.map((e) => e.revision),
        revs,
      );
      assert.equal(c.error, null);
    } finally {
      await s.close();
    }
  });

  test("etcd's own request limit also maps to TooLarge", async () => {
    const s = store();
    try {
      // Within our value limit, but key + value + framing exceed etcd's 1.5 MiB.
      const value = 'v'.repeat(MAX_VALUE_BYTES - 8);
      await rejectsWith(s.create(`${P}big`, value), 'TooLarge');
      assert.equal(await s.get(`${P}big`), null);
    } finally {
      await s.close();
    }
  });

  test('TTL writes share a lease', async () => {
    const s = store();
    const raw = new Etcd3({ hosts: etcd.endpoints });
    try {
      await s.create(`${P}e1`, 'x', { ttlSeconds: 3600 });
      await s.create(`${P}e2`, 'y', { ttlSeconds: 3600 });
      await s.create(`${P}e3`, 'z', { ttlSeconds: 60 });
      const kvs = (await raw.getAll().prefix(`/spec-${process.pid}-${n}${P}`).exec()).kvs;
      const leases = kvs.map((kv) => kv.lease);
      assert.equal(leases.length, 3);
      assert.equal(leases[0], leases[1]);
      assert.notEqual(leases[0], leases[2]);
      assert.notEqual(leases[0], '0');
    } finally {
      raw.close();
      await s.close();
    }
  });

  test('round trips: a create is one txn; a CAS is one txn when the revision or the copy is current', async () => {
    const s = store();
    // A second store on the same namespace.
    const fresh = new EtcdStore({ endpoints: etcd.endpoints, prefix: `/spec-${process.pid}-${n}`, compactIntervalSeconds: 0 });
    try {
      const calls = countCalls(s);
      const a = await s.create(`${P}rt`, 'v1');
      assert.deepEqual(calls(), { txn: 1, range: 0 }, 'create');
      const b = await s.update(`${P}rt`, 'v2', a.modRevision);
      assert.deepEqual(calls(), { txn: 1, range: 0 }, 'update at the current revision');
      const c = await s.guaranteedUpdate(`${P}rt`, () => 'v3', { current: b });
      assert.deepEqual(calls(), { txn: 1, range: 0 }, "guaranteedUpdate from a current copy");
      assert.equal(c.createRevision, a.createRevision);
      await s.guaranteedUpdate(`${P}rt`, () => 'v4');
      assert.deepEqual(calls(), { txn: 1, range: 1 }, 'guaranteedUpdate without a copy reads first');
      // A stale copy: the failed compare returns the stored value, so one more txn and no read.
      const e = await s.guaranteedUpdate(`${P}rt`, (cur) => `${cur.value}+`, { current: b });
      assert.deepEqual(calls(), { txn: 2, range: 0 }, 'guaranteedUpdate from a stale copy');
      assert.equal(e.value, 'v4+');

      // Another store that never saw the key learns its create revision inside the same txn.
      const other = countCalls(fresh);
      const f = await fresh.update(`${P}rt`, 'v5', e.modRevision);
      assert.deepEqual(other(), { txn: 1, range: 0 }, 'update from a store that never read the key');
      assert.equal(f.createRevision, a.createRevision);
    } finally {
      await s.close();
      await fresh.close();
    }
  });

  test('an unreachable etcd fails openStore with Unavailable', async () => {
    await assert.rejects(
      openStore({ kind: 'etcd', endpoints: ['http://127.0.0.1:1'] }),
      (err: unknown) => (err as { code?: string }).code === 'Unavailable',
    );
  });
});
