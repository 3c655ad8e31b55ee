import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestClient } from '../../src/client/rest.js';
import { Informer } from '../../src/client/informer.js';
import { FakeApiServer, json, status, cm, until } from './fake-apiserver.js';
import type { KubeObject } from '../../src/api/types.js';

const CM = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };

/** A fake list endpoint over `state`, paginated by `limit`, plus watches the test feeds. */
function serveList(fake: FakeApiServer, state: { items: KubeObject[]; rv: string }): void {
  fake.on((r, res) => {
    const u = new URL(r.url, 'http://x');
    if (u.searchParams.get('watch') === 'true') {
      fake.openWatch(res);
      return true;
    }
    const limit = Number(u.searchParams.get('limit') ?? 0) || state.items.length;
    const start = Number(u.searchParams.get('continue') ?? 0);
    const page = state.items.slice(start, start + limit).map(({ kind: _k, apiVersion: _a, ...rest }) => rest);
    const next = start + limit < state.items.length ? String(start + limit) : undefined;
    json(res, 200, { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: state.rv, continue: next }, items: page });
    return true;
  });
}

interface Seen {
  adds: Array<[string, boolean]>;
  updates: Array<[string, string]>;
  deletes: Array<[string, boolean]>;
}

function record(inf: Informer): Seen {
  const seen: Seen = { adds: [], updates: [], deletes: [] };
  inf.addEventHandler({
    onAdd: (o, initial) => seen.adds.push([o.metadata.name!, initial]),
    onUpdate: (a, b) => seen.updates.push([a.metadata.resourceVersion!, b.metadata.resourceVersion!]),
    onDelete: (o, unknown) => seen.deletes.push([o.metadata.name!, unknown]),
  });
  return seen;
}

test('informer: paginated list, watch from its resourceVersion, handlers and cache', async (t) => {
  const fake = await new FakeApiServer().start();
  const client = new RestClient(fake.config());
  const state = { items: [cm('a', '1'), cm('b', '2'), cm('c', '3')], rv: '10' };
  serveList(fake, state);
  const inf = new Informer(client, CM, { namespace: 'default', pageSize: 2, indexers: { byData: (o) => Object.keys((o.data as object) ?? {}) } });
  t.after(async () => {
    await inf.stop();
    client.close();
    await fake.close();
  });
  const seen = record(inf);
  inf.start();
  assert.equal(await inf.waitForSync(), true);
  assert.equal(inf.hasSynced(), true);
  assert.deepEqual(seen.adds, [['a', true], ['b', true], ['c', true]]);
  assert.equal(inf.store.get('default/a')?.kind, 'ConfigMap', 'list items get their kind back');
  const lists = fake.requests.filter((r) => !r.url.includes('watch=true'));
  assert.equal(lists.length, 2, 'two pages');
  assert.match(lists[0]!.url, /limit=2/);

  await until(() => fake.watches.size === 1);
  const watchUrl = fake.requests.find((r) => r.url.includes('watch=true'))!.url;
  assert.match(watchUrl, /resourceVersion=10/);
  assert.match(watchUrl, /allowWatchBookmarks=true/);

  fake.send({ type: 'ADDED', object: cm('d', '11', { k: 'v' }) });
  fake.send({ type: 'MODIFIED', object: cm('a', '12') });
  fake.send({ type: 'DELETED', object: cm('b', '13') });
  fake.send({ type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: '20' } } });
  await until(() => inf.lastSyncResourceVersion() === '20');
  assert.deepEqual(seen.adds.at(-1), ['d', false]);
  assert.deepEqual(seen.updates, [['1', '12']]);
  assert.deepEqual(seen.deletes, [['b', false]]);
  assert.deepEqual(inf.store.listKeys().sort(), ['default/a', 'default/c', 'default/d']);
  assert.deepEqual(inf.store.byIndex('byData', 'k').map((o) => o.metadata.name), ['d']);
  assert.equal(inf.store.byNamespace('default').length, 3);

  // a late handler learns the current state as adds
  const late: string[] = [];
  inf.addEventHandler({ onAdd: (o) => late.push(o.metadata.name!) });
  assert.deepEqual(late.sort(), ['a', 'c', 'd']);
});

test('informer: 410 Expired on watch re-lists and emits the diff with tombstones', async (t) => {
  const fake = await new FakeApiServer().start();
  const client = new RestClient(fake.config());
  const state = { items: [cm('a', '1'), cm('b', '2'), cm('c', '3')], rv: '10' };
  serveList(fake, state);
  const inf = new Informer(client, CM, { namespace: 'default' });
  t.after(async () => {
    await inf.stop();
    client.close();
    await fake.close();
  });
  const seen = record(inf);
  inf.start();
  await inf.waitForSync();
  await until(() => fake.watches.size === 1);

  // while we were not looking: a changed, b deleted, e created
  state.items = [cm('a', '15'), cm('c', '3'), cm('e', '16')];
  state.rv = '30';
  fake.send({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version: 10 (25)') });
  await until(() => inf.lastSyncResourceVersion() === '30');

  assert.deepEqual(seen.deletes, [['b', true]], 'missing from the re-list: deleted, final state unknown');
  assert.deepEqual(seen.adds.slice(3), [['e', false]]);
  assert.deepEqual(seen.updates, [['1', '15'], ['3', '3']], 'every listed object that was cached is an update, as upstream Replace');
  assert.deepEqual(inf.store.listKeys().sort(), ['default/a', 'default/c', 'default/e']);
  await until(() => fake.watches.size === 1);
  assert.match(fake.requests.filter((r) => r.url.includes('watch=true')).at(-1)!.url, /resourceVersion=30/);
});

test('informer: a dropped watch connection leads to a re-list; stop() ends everything', async (t) => {
  const fake = await new FakeApiServer().start();
  const client = new RestClient(fake.config());
  const state = { items: [cm('a', '1')], rv: '10' };
  serveList(fake, state);
  const inf = new Informer(client, CM, {});
  t.after(async () => {
    await inf.stop();
    client.close();
    await fake.close();
  });
  const seen = record(inf);
  inf.start();
  await inf.waitForSync();
  await until(() => fake.watches.size === 1);
  assert.match(fake.requests[0]!.url, /^\/api\/v1\/configmaps\?/, 'no namespace: all namespaces');

  state.items = [];
  state.rv = '11';
  fake.destroyWatches();
  await until(() => seen.deletes.length === 1);
  assert.deepEqual(seen.deletes, [['a', true]]);
  await until(() => fake.watches.size === 1);

  // relist() forces the same path without a broken connection
  state.items = [cm('z', '12')];
  state.rv = '12';
  inf.relist();
  await until(() => seen.adds.some(([n]) => n === 'z'));

  await inf.stop();
  await until(() => fake.watches.size === 0);
  assert.equal(await inf.waitForSync(), true);
});

test('informer: a failing list is retried with back-off and sync waits for it', async (t) => {
  const fake = await new FakeApiServer().start();
  const client = new RestClient(fake.config());
  let fail = true;
  fake.on((_r, res) => {
    if (!fail) return false;
    fail = false;
    json(res, 500, status(500, 'InternalError', 'boom'));
    return true;
  });
  serveList(fake, { items: [cm('a', '1')], rv: '5' });
  const inf = new Informer(client, CM, {});
  t.after(async () => {
    await inf.stop();
    client.close();
    await fake.close();
  });
  inf.start();
  assert.equal(await inf.waitForSync(), true);
  assert.equal(inf.store.size(), 1);

  const never = new Informer(client, CM, {});
  const waiting = never.waitForSync();
  await never.stop();
  assert.equal(await waiting, false);
});
