import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatchCache, type CacheHandler, type WatchableStore } from '../../src/auth/informer.js';
import type { KubeObject } from '../../src/api/types.js';

type Emit = (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject) => void;

/** A store whose watch is driven by the test: every event goes through emit. */
function drivenStore(): { store: WatchableStore; emit: Emit } {
  let emit: Emit = () => assert.fail('watch not open');
  const store = {
    watch: async (_opts: unknown, onEvent: Emit) => {
      emit = onEvent;
      return { stop() {} };
    },
  } as unknown as WatchableStore;
  return { store, emit: (t, o) => emit(t, o) };
}

function recorder(): CacheHandler & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    upsert: (o, old) => seen.push(`upsert ${JSON.stringify(o)} old=${JSON.stringify(old)}`),
    remove: (o) => seen.push(`remove ${JSON.stringify(o)}`),
  };
}

const pod = (rv: string): KubeObject => ({ metadata: { namespace: 'ns', name: 'p', resourceVersion: rv }, spec: { nodeName: 'n1', containers: [] } });

test("retention 'object' keeps each object whole and hands it back as old", async () => {
  const { store, emit } = drivenStore();
  const h = recorder();
  const cache = new WatchCache(store, h, 'pods');
  await cache.start();
  emit('ADDED', pod('1'));
  emit('MODIFIED', pod('2'));
  emit('DELETED', pod('3'));
  assert.deepEqual(h.seen, [
    `upsert ${JSON.stringify(pod('1'))} old=undefined`,
    `upsert ${JSON.stringify(pod('2'))} old=${JSON.stringify(pod('1'))}`,
    `remove ${JSON.stringify(pod('2'))}`,
  ]);
  assert.equal(cache.items.size, 0);
});

test("retention 'name' gives handlers the new object whole but keeps only namespace and name between events", async () => {
  const { store, emit } = drivenStore();
  const h = recorder();
  const cache = new WatchCache(store, h, 'pods', 'name');
  await cache.start();
  emit('ADDED', pod('1'));
  assert.deepEqual(cache.items.get('ns/p'), { metadata: { namespace: 'ns', name: 'p' } });
  emit('MODIFIED', pod('2'));
  emit('DELETED', pod('3'));
  const stub = JSON.stringify({ metadata: { namespace: 'ns', name: 'p' } });
  assert.deepEqual(h.seen, [`upsert ${JSON.stringify(pod('1'))} old=undefined`, `upsert ${JSON.stringify(pod('2'))} old=${stub}`, `remove ${stub}`]);
  assert.equal(cache.items.size, 0);
  // A cluster-scoped object's stub has no namespace key at all.
  emit('ADDED', { metadata: { name: 'pv-1' }, spec: {} });
  assert.deepEqual(cache.items.get('pv-1'), { metadata: { name: 'pv-1' } });
});
