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

  test('an unreachable etcd fails openStore with Unavailable', async () => {
    await assert.rejects(
      openStore({ kind: 'etcd', endpoints: ['http://127.0.0.1:1'] }),
      (err: unknown) => (err as { code?: string }).code === 'Unavailable',
    );
  });
});
