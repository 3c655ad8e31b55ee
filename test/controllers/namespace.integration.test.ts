import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startCluster, until, getOrUndefined, type Cluster } from './helpers.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import type { KubeObject } from '../../src/api/types.js';

const CONFIGMAPS = resourceFor('', 'v1', 'configmaps')!;
const NAMESPACES = resourceFor('', 'v1', 'namespaces')!;
const SERVICEACCOUNTS = resourceFor('', 'v1', 'serviceaccounts')!;

let c: Cluster;

before(async () => {
  c = await startCluster({ controllers: ['namespace', 'serviceaccount', 'garbagecollector'] });
});

after(async () => {
  await c.close();
});

test('kubectl delete ns waits until the namespace and its content are gone', async () => {
  const kc = c.server.kubeconfig;
  await kubectlOk(kc, ['create', 'ns', 'doomed']);
  await kubectlOk(kc, ['create', 'configmap', 'one', '-n', 'doomed', '--from-literal=a=b']);
  await kubectlOk(kc, ['create', 'configmap', 'two', '-n', 'doomed', '--from-literal=c=d']);
  const out = await kubectlOk(kc, ['delete', 'ns', 'doomed']);
  assert.match(out, /namespace "doomed" deleted/);
  // kubectl returned only once the namespace was gone.
  assert.equal(await getOrUndefined(() => c.client.get(NAMESPACES, undefined, 'doomed')), undefined);
  const left = await c.client.list(CONFIGMAPS, 'doomed');
  assert.deepEqual(left.items, []);
  const r = await kubectl(kc, ['get', 'ns', 'doomed']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /NotFound|not found/);
});

test('the default ServiceAccount appears in a new namespace', async () => {
  await kubectlOk(c.server.kubeconfig, ['create', 'ns', 'fresh']);
  const sa = await until(() => getOrUndefined(() => c.client.get(SERVICEACCOUNTS, 'fresh', 'default')), 'default service account');
  assert.equal(sa.metadata.name, 'default');
  // Deleted, it comes back.
  await c.client.delete(SERVICEACCOUNTS, 'fresh', 'default');
  await until(async () => {
    const again = await getOrUndefined(() => c.client.get(SERVICEACCOUNTS, 'fresh', 'default'));
    return again && again.metadata.uid !== sa.metadata.uid;
  }, 'default service account re-created');
});

test('content held by a finalizer keeps the namespace Terminating with upstream conditions', async () => {
  await c.client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'held' } });
  await c.client.create<KubeObject>(CONFIGMAPS, 'held', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stuck', finalizers: ['example.com/hold'] } });
  await c.client.delete(NAMESPACES, undefined, 'held');
  const ns = await until(async () => {
    const n = await c.client.get<KubeObject & { status?: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] } }>(NAMESPACES, undefined, 'held');
    const cond = n.status?.conditions?.find((x) => x.type === 'NamespaceFinalizersRemaining');
    return cond?.status === 'True' ? n : undefined;
  }, 'finalizers-remaining condition');
  assert.equal(ns.status?.phase, 'Terminating');
  const byType = new Map(ns.status!.conditions!.map((x) => [x.type, x]));
  assert.deepEqual(
    { reason: byType.get('NamespaceFinalizersRemaining')?.reason, message: byType.get('NamespaceFinalizersRemaining')?.message },
    { reason: 'SomeFinalizersRemain', message: 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances' },
  );
  assert.equal(byType.get('NamespaceContentRemaining')?.message, 'Some resources are remaining: configmaps. has 1 resource instances');
  assert.equal(byType.get('NamespaceDeletionDiscoveryFailure')?.reason, 'ResourcesDiscovered');
  assert.equal(byType.get('NamespaceDeletionDiscoveryFailure')?.status, 'False');

  // Releasing the finalizer lets the deletion finish.
  await c.client.patch(CONFIGMAPS, 'held', 'stuck', 'merge', { metadata: { finalizers: null } });
  await until(async () => (await getOrUndefined(() => c.client.get(NAMESPACES, undefined, 'held'))) === undefined, 'namespace gone');
});
