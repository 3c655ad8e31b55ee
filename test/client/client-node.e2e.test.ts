import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { until } from './fake-apiserver.js';

// Wire compatibility: the official JavaScript client, unmodified, must not
// notice it is talking to k8ts.

let server: TestServer;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;

before(async () => {
  server = await startTestServer();
  kc = new k8s.KubeConfig();
  kc.loadFromFile(server.kubeconfig);
  // client-node refuses plain http unless skipTLSVerify is set (it has no
  // effect on http); the same holds against upstream over http.
  if (kc.getCurrentCluster()?.server.startsWith('http:')) {
    kc.loadFromOptions({
      clusters: kc.clusters.map((c) => ({ ...c, skipTLSVerify: true })),
      users: kc.users,
      contexts: kc.contexts,
      currentContext: kc.currentContext,
    });
  }
  core = kc.makeApiClient(k8s.CoreV1Api);
});

after(async () => {
  await server.close();
});

test('client-node: configmap CRUD, conflict and not-found errors', async () => {
  const created = await core.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'cn-cm', labels: { via: 'client-node' } }, data: { a: '1' } },
  });
  assert.equal(created.metadata?.name, 'cn-cm');
  assert.ok(created.metadata?.uid);
  assert.ok(created.metadata?.creationTimestamp instanceof Date, 'timestamps deserialize as dates');

  const read = await core.readNamespacedConfigMap({ name: 'cn-cm', namespace: 'default' });
  assert.deepEqual(read.data, { a: '1' });

  const replaced = await core.replaceNamespacedConfigMap({ name: 'cn-cm', namespace: 'default', body: { ...read, data: { a: '2' } } });
  assert.deepEqual(replaced.data, { a: '2' });

  await assert.rejects(
    core.replaceNamespacedConfigMap({ name: 'cn-cm', namespace: 'default', body: { ...read, data: { a: 'stale' } } }),
    (e: unknown) => e instanceof k8s.ApiException && e.code === 409,
  );

  const patched = await core.patchNamespacedConfigMap(
    { name: 'cn-cm', namespace: 'default', body: { data: { b: '3' } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  assert.deepEqual(patched.data, { a: '2', b: '3' });

  const list = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'via=client-node' });
  assert.deepEqual(list.items.map((i) => i.metadata?.name), ['cn-cm']);
  assert.ok(list.metadata?.resourceVersion);

  await core.deleteNamespacedConfigMap({ name: 'cn-cm', namespace: 'default' });
  await assert.rejects(core.readNamespacedConfigMap({ name: 'cn-cm', namespace: 'default' }), (e: unknown) => {
    assert.ok(e instanceof k8s.ApiException);
    assert.equal(e.code, 404);
    const body = typeof e.body === 'string' ? (JSON.parse(e.body) as { reason: string }) : (e.body as { reason: string });
    assert.equal(body.reason, 'NotFound');
    return true;
  });
});

test('client-node: pod create, read, status and delete', async () => {
  const pod = await core.createNamespacedPod({
    namespace: 'default',
    body: { metadata: { name: 'cn-pod' }, spec: { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] } },
  });
  assert.equal(pod.spec?.containers[0]?.name, 'app');
  const read = await core.readNamespacedPod({ name: 'cn-pod', namespace: 'default' });
  assert.equal(read.metadata?.uid, pod.metadata?.uid);
  const status = await core.readNamespacedPodStatus({ name: 'cn-pod', namespace: 'default' });
  assert.equal(status.metadata?.name, 'cn-pod');
  const pods = await core.listPodForAllNamespaces();
  assert.ok(pods.items.some((p) => p.metadata?.name === 'cn-pod'));
  await core.deleteNamespacedPod({ name: 'cn-pod', namespace: 'default', gracePeriodSeconds: 0 });
});

test('client-node: Watch streams ADDED / MODIFIED / DELETED', async () => {
  const seen: string[] = [];
  let doneErr: unknown = 'not done';
  const watch = new k8s.Watch(kc);
  const ac = await watch.watch(
    '/api/v1/namespaces/default/configmaps',
    { allowWatchBookmarks: true, labelSelector: 'w=1' },
    (phase, obj: k8s.V1ConfigMap) => {
      if (phase !== 'BOOKMARK') seen.push(`${phase} ${obj.metadata?.name}`);
    },
    (err) => (doneErr = err),
  );
  try {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cn-w', labels: { w: '1' } }, data: { x: '1' } } });
    await core.patchNamespacedConfigMap(
      { name: 'cn-w', namespace: 'default', body: { data: { x: '2' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ name: 'cn-w', namespace: 'default' });
    await until(() => seen.length >= 3);
    assert.deepEqual(seen, ['ADDED cn-w', 'MODIFIED cn-w', 'DELETED cn-w']);
  } finally {
    ac.abort();
  }
  await until(() => doneErr !== 'not done');
});

test('client-node: makeInformer lists, then follows changes', async () => {
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cn-i1', labels: { inf: '1' } } } });
  const informer = k8s.makeInformer<k8s.V1ConfigMap>(
    kc,
    '/api/v1/namespaces/default/configmaps',
    () => core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'inf=1' }),
    'inf=1',
  );
  const events: string[] = [];
  const errors: unknown[] = [];
  informer.on('add', (o) => events.push(`add ${o.metadata?.name}`));
  informer.on('update', (o) => events.push(`update ${o.metadata?.name}`));
  informer.on('delete', (o) => events.push(`delete ${o.metadata?.name}`));
  informer.on('error', (e) => errors.push(e));
  await informer.start();
  try {
    await until(() => events.includes('add cn-i1'));
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cn-i2', labels: { inf: '1' } } } });
    await core.patchNamespacedConfigMap(
      { name: 'cn-i1', namespace: 'default', body: { data: { y: '1' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ name: 'cn-i2', namespace: 'default' });
    await until(() => events.includes('delete cn-i2') && events.includes('update cn-i1'));
    assert.ok(events.includes('add cn-i2'));
    assert.deepEqual(
      informer.list().map((o) => o.metadata?.name),
      ['cn-i1'],
    );
    assert.equal(informer.get('cn-i1', 'default')?.data?.y, '1');
    assert.deepEqual(errors, []);
  } finally {
    await informer.stop();
  }
});
