// ResourceStore.update hands a mutate that only reads (readsCurrent, as PUT
// and PATCH) the old object itself, which is the object the key's previous
// write stored when no watch event has taken it: it must come out of the
// update unchanged, and be used only while it is what storage holds.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { resourceFor } from '../../src/api/scheme/resources.js';
import type { KubeObject } from '../../src/api/types.js';
import { objectKey } from '../../src/apiserver/registry/keys.js';
import { ResourceStore } from '../../src/apiserver/registry/resource-store.js';
import { SqliteStore } from '../../src/storage/sqlite/store.js';

let store: SqliteStore;
let leases: ResourceStore;

before(() => {
  store = new SqliteStore({ path: ':memory:', compactWindowSeconds: 0 });
  leases = new ResourceStore(resourceFor('coordination.k8s.io', 'v1', 'leases')!, store);
});
after(() => store.close());

const lease = (name: string, renew: string): KubeObject => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name, namespace: 'ns' },
  spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: renew },
});

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const c of Object.values(v)) deepFreeze(c);
    Object.freeze(v);
  }
  return v;
}

/** A PUT's mutate: the desired object built anew, the current one only read. */
const renewTo = (renew: string, seen: KubeObject[]) => (cur: KubeObject): KubeObject => {
  seen.push(cur);
  const next = lease(cur.metadata.name!, renew);
  next.metadata.labels = { renewed: String(cur.metadata.resourceVersion) };
  return next;
};

test('a reading update gets the previous write as its old object and leaves it as it was', async () => {
  const created = await leases.create('ns', lease('a', '2026-01-01T00:00:00.000000Z'), { shareWritten: true });
  const frozen = structuredClone(created);
  deepFreeze(created);
  const seen: KubeObject[] = [];
  const { object } = await leases.update('ns', 'a', renewTo('2026-01-01T00:00:01.000000Z', seen), { readsCurrent: true, shareWritten: true });
  assert.equal(seen.length, 1);
  assert.equal(seen[0], created, 'the stored object itself, not a decoded copy');
  assert.deepEqual(created, frozen);
  assert.equal(object.metadata.labels?.renewed, created.metadata.resourceVersion);
  assert.equal(object.metadata.uid, created.metadata.uid);
  // What the update returned is what storage holds.
  assert.deepEqual(await leases.get('ns', 'a'), object);

  // The next one reads that write's object in turn.
  deepFreeze(object);
  const again: KubeObject[] = [];
  const second = await leases.update('ns', 'a', renewTo('2026-01-01T00:00:02.000000Z', again), { readsCurrent: true, shareWritten: true });
  assert.equal(again[0], object);
  assert.deepEqual(await leases.get('ns', 'a'), second.object);
});

test('an update that may change its current object gets a private copy', async () => {
  const created = await leases.create('ns', lease('b', '2026-01-01T00:00:00.000000Z'), { shareWritten: true });
  const { object } = await leases.update('ns', 'b', (cur) => {
    assert.notEqual(cur, created);
    assert.deepEqual(cur, created);
    (cur.spec as Record<string, unknown>).renewTime = '2026-01-01T00:00:03.000000Z';
    return cur;
  }, { shareWritten: true });
  assert.equal((object.spec as Record<string, unknown>).renewTime, '2026-01-01T00:00:03.000000Z');
  assert.equal((created.spec as Record<string, unknown>).renewTime, '2026-01-01T00:00:00.000000Z');
});

test('a write that failed, or one storage no longer holds, is not taken as the old object', async () => {
  const created = await leases.create('ns', lease('c', '2026-01-01T00:00:00.000000Z'), { shareWritten: true });
  // A stale resourceVersion: 409, and the next update still reads the create's object.
  const stale = lease('c', '2026-01-01T00:00:04.000000Z');
  stale.metadata.resourceVersion = String(Number(created.metadata.resourceVersion) - 1);
  await assert.rejects(leases.update('ns', 'c', () => stale, { readsCurrent: true, shareWritten: true }), (e: { code?: number }) => e.code === 409);
  const seen: KubeObject[] = [];
  await leases.update('ns', 'c', renewTo('2026-01-01T00:00:05.000000Z', seen), { readsCurrent: true, shareWritten: true });
  assert.equal(seen[0], created);
  // Written behind the API's back (another server on the same storage), here while the update's
  // first attempt runs, so its write conflicts: the retry reads what is stored, not what it wrote.
  const key = objectKey(leases.info, 'ns', 'c');
  const attempts: KubeObject[] = [];
  const res = await leases.update('ns', 'c', async (cur) => {
    attempts.push(cur);
    if (attempts.length === 1) {
      const kv = (await store.get(key))!;
      const moved = JSON.parse(kv.value) as KubeObject;
      (moved.spec as Record<string, unknown>).holderIdentity = 'someone-else';
      await store.update(key, JSON.stringify(moved), kv.modRevision);
    }
    return renewTo('2026-01-01T00:00:06.000000Z', [])(cur);
  }, { readsCurrent: true, shareWritten: true });
  assert.equal(attempts.length, 2);
  assert.equal((attempts[1]!.spec as Record<string, unknown>).holderIdentity, 'someone-else');
  assert.deepEqual(await leases.get('ns', 'c'), res.object);
});

test('a status write keeps the stored spec without changing the stored object', async () => {
  const pods = new ResourceStore(resourceFor('', 'v1', 'pods')!, store);
  const created = await pods.create('ns', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'busybox' }], nodeName: 'n1' } }, { shareWritten: true });
  const frozen = structuredClone(created);
  deepFreeze(created);
  const { object } = await pods.update('ns', 'p', (cur) => {
    assert.equal(cur, created);
    // As a kubelet sends it: its own idea of the spec, which the status endpoint ignores.
    return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'other', image: 'x' }] }, status: { phase: 'Running', podIP: '10.0.0.5' } };
  }, { subresource: 'status', readsCurrent: true, shareWritten: true });
  assert.deepEqual(created, frozen);
  assert.deepEqual(object.spec, frozen.spec);
  assert.deepEqual(object.status, { phase: 'Running', podIP: '10.0.0.5' });
  assert.deepEqual(await pods.get('ns', 'p'), object);
});
