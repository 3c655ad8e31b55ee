import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { RestClient } from '../../src/client/rest.js';
import { StatusError } from '../../src/api/errors.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import type { KubeObject, WatchEventObject } from '../../src/api/types.js';
import { until } from './fake-apiserver.js';

const CM = resourceFor('', 'v1', 'configmaps')!;
const PODS = resourceFor('', 'v1', 'pods')!;

let server: TestServer;
let client: RestClient;

before(async () => {
  server = await startTestServer();
  client = RestClient.fromKubeconfig(server.kubeconfig, { component: 'client-test' });
});

after(async () => {
  client.close();
  await server.close();
});

const configMap = (name: string, data: Record<string, string>, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default', labels },
  data,
});

test('CRUD on configmaps; a stale resourceVersion is a 409 Conflict StatusError', async () => {
  const created = await client.create(CM, 'default', configMap('crud', { a: '1' }, { app: 'crud' }));
  assert.equal(created.metadata.name, 'crud');
  assert.ok(created.metadata.uid);
  assert.ok(created.metadata.resourceVersion);

  const got = await client.get(CM, 'default', 'crud');
  assert.deepEqual(got.data, { a: '1' });

  const updated = await client.update(CM, 'default', { ...got, data: { a: '2' } });
  assert.notEqual(updated.metadata.resourceVersion, got.metadata.resourceVersion);

  await assert.rejects(client.update(CM, 'default', { ...got, data: { a: 'stale' } }), (e: unknown) => {
    assert.ok(e instanceof StatusError, String(e));
    assert.equal(e.code, 409);
    assert.equal(e.reason, 'Conflict');
    return true;
  });

  await assert.rejects(client.create(CM, 'default', configMap('crud', {})), (e: unknown) => e instanceof StatusError && e.code === 409 && e.reason === 'AlreadyExists');

  const merged = await client.patch(CM, 'default', 'crud', 'merge', { data: { b: 'm' } });
  assert.deepEqual(merged.data, { a: '2', b: 'm' });
  const jsonPatched = await client.patch(CM, 'default', 'crud', 'json', [{ op: 'replace', path: '/data/a', value: '3' }]);
  assert.equal((jsonPatched.data as Record<string, string>).a, '3');
  const strategic = await client.patch(CM, 'default', 'crud', 'strategic', { metadata: { labels: { tier: 'x' } } });
  assert.deepEqual(strategic.metadata.labels, { app: 'crud', tier: 'x' });

  const list = await client.list(CM, 'default', { labelSelector: 'app=crud' });
  assert.equal(list.kind, 'ConfigMapList');
  assert.deepEqual(list.items.map((i) => i.metadata.name), ['crud']);
  assert.ok(list.metadata.resourceVersion);

  await client.delete(CM, 'default', 'crud');
  await assert.rejects(client.get(CM, 'default', 'crud'), (e: unknown) => e instanceof StatusError && e.code === 404 && e.reason === 'NotFound');
});

test('list pagination with limit and continue; deleteCollection by label', async () => {
  for (let i = 0; i < 5; i++) await client.create(CM, 'default', configMap(`page-${i}`, {}, { set: 'paged' }));
  const names: string[] = [];
  let cont: string | undefined;
  let pages = 0;
  do {
    const page = await client.list(CM, 'default', { labelSelector: 'set=paged', limit: 2, continue: cont });
    names.push(...page.items.map((i) => i.metadata.name!));
    cont = page.metadata.continue || undefined;
    pages++;
  } while (cont);
  assert.deepEqual(names.sort(), ['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
  assert.equal(pages, 3);

  await client.deleteCollection(CM, 'default', { labelSelector: 'set=paged' });
  const after = await client.list(CM, 'default', { labelSelector: 'set=paged' });
  assert.equal(after.items.length, 0);
});

test('pods: updateStatus and the binding subresource', async () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'bind-me', namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
  };
  await client.create(PODS, 'default', pod);
  await client.createSubresource(PODS, 'default', 'bind-me', 'binding', {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: 'bind-me', namespace: 'default' },
    target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' },
  });
  const bound = await client.get(PODS, 'default', 'bind-me');
  assert.equal((bound.spec as { nodeName?: string }).nodeName, 'node-1');

  const withStatus = await client.updateStatus(PODS, 'default', { ...bound, status: { ...(bound.status as object), phase: 'Running' } });
  assert.equal((withStatus.status as { phase: string }).phase, 'Running');
  await client.delete(PODS, 'default', 'bind-me', { gracePeriodSeconds: 0 });
});

test('watch sees ADDED, MODIFIED, DELETED from the list resourceVersion', async () => {
  const start = await client.list(CM, 'default');
  const events: WatchEventObject[] = [];
  const w = client.watch(CM, 'default', { resourceVersion: start.metadata.resourceVersion, allowWatchBookmarks: true }, (e) => {
    if (e.type !== 'BOOKMARK' && e.object.metadata.name === 'watched') events.push(e);
  });
  try {
    const c = await client.create(CM, 'default', configMap('watched', { v: '1' }));
    await client.update(CM, 'default', { ...c, data: { v: '2' } });
    await client.delete(CM, 'default', 'watched');
    await until(() => events.length >= 3);
    assert.deepEqual(
      events.map((e) => e.type),
      ['ADDED', 'MODIFIED', 'DELETED'],
    );
    assert.deepEqual(events[1]!.object.data, { v: '2' });
  } finally {
    w.stop();
    await w.done;
  }
});

test('raw requests reach discovery', async () => {
  const versions = await client.request<{ kind: string; versions: string[] }>('GET', '/api');
  assert.equal(versions.kind, 'APIVersions');
  assert.ok(versions.versions.includes('v1'));
  const raw = await client.requestRaw('GET', '/api/v1/namespaces/default/configmaps/does-not-exist');
  assert.equal(raw.statusCode, 404);
});
