import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { RestClient } from '../../src/client/rest.js';
import { Informer } from '../../src/client/informer.js';
import { InformerFactory } from '../../src/client/informer-factory.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import type { KubeObject } from '../../src/api/types.js';
import { until } from './fake-apiserver.js';

const CM = resourceFor('', 'v1', 'configmaps')!;

let server: TestServer;
let client: RestClient;

before(async () => {
  server = await startTestServer();
  client = RestClient.fromKubeconfig(server.kubeconfig, { component: 'informer-test' });
});

after(async () => {
  client.close();
  await server.close();
});

const cm = (name: string, v: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels: { suite: 'inf' } }, data: { v } });

test('informer syncs, follows changes, and re-lists to the right diff', async () => {
  await client.create(CM, 'default', cm('pre-a', '1'));
  await client.create(CM, 'default', cm('pre-b', '1'));

  const inf = new Informer(client, CM, { namespace: 'default', labelSelector: 'suite=inf', pageSize: 1 });
  const adds: string[] = [];
  const updates: string[] = [];
  const deletes: Array<[string, boolean]> = [];
  inf.addEventHandler({
    onAdd: (o) => adds.push(o.metadata.name!),
    onUpdate: (_o, n) => updates.push(`${n.metadata.name}=${(n.data as { v: string }).v}`),
    onDelete: (o, unknown) => deletes.push([o.metadata.name!, unknown]),
  });
  inf.start();
  try {
    assert.equal(await inf.waitForSync(), true);
    assert.deepEqual(adds.sort(), ['pre-a', 'pre-b']);

    await client.create(CM, 'default', cm('live', '1'));
    const a = await client.get(CM, 'default', 'pre-a');
    await client.update(CM, 'default', { ...a, data: { v: '2' } });
    await client.delete(CM, 'default', 'pre-b');
    await until(() => deletes.length === 1 && adds.includes('live') && updates.includes('pre-a=2'));
    assert.deepEqual(deletes, [['pre-b', false]]);
    assert.equal((inf.store.get('default/pre-a')?.data as { v: string }).v, '2');

    // Stop watching, change the world, then re-list: the cache must converge.
    inf.relist();
    await client.delete(CM, 'default', 'live');
    const a2 = await client.get(CM, 'default', 'pre-a');
    await client.update(CM, 'default', { ...a2, data: { v: '3' } });
    await client.create(CM, 'default', cm('after', '1'));
    await until(() => inf.store.get('default/after') !== undefined && inf.store.get('default/live') === undefined && (inf.store.get('default/pre-a')?.data as { v: string }).v === '3');
    assert.ok(adds.includes('after'));
    assert.equal(deletes.filter(([n]) => n === 'live').length, 1);
    assert.deepEqual(inf.store.listKeys().sort(), ['default/after', 'default/pre-a']);
  } finally {
    await inf.stop();
  }
});

test('informer factory shares one informer per resource and selector', async () => {
  const factory = new InformerFactory(client);
  const a = factory.informerFor(CM, { namespace: 'default' });
  const b = factory.informerFor(CM, { namespace: 'default' });
  const c = factory.informerFor(CM, { namespace: 'default', labelSelector: 'suite=inf' });
  assert.equal(a, b);
  assert.notEqual(a, c);
  factory.start();
  try {
    assert.equal(await factory.waitForCacheSync(), true);
    assert.ok(a.store.list().length >= c.store.list().length);
  } finally {
    await factory.stop();
  }
});
