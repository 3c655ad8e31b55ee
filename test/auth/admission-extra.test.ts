// NodeRestriction's finer rules (mirror pod ownership, status labels,
// eviction, leases, CSINodes), ResourceQuota under concurrent creates, and the
// watch-fed quota / limit range caches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admissionChain, type AdmissionAttributes } from '../../src/auth/admission/index.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import type { KubeObject } from '../../src/api/types.js';
import type { UserInfo } from '../../src/auth/user.js';
import { fakeRegistry } from './fake-registry.js';
import { rejectsWithStatus as refused } from './refused.js';

const nodeA: UserInfo = { username: 'system:node:a', groups: ['system:nodes', 'system:authenticated'] };
const admin: UserInfo = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };

function attrs(operation: AdmissionAttributes['operation'], resource: string, namespace: string | undefined, name: string | undefined, extra: Partial<AdmissionAttributes> = {}): AdmissionAttributes {
  return { operation, group: '', version: 'v1', resource, kind: '', namespace, name, user: nodeA, ...extra };
}


test('NodeRestriction: mirror pods must be owned by the node, with its uid', async () => {
  const registry = fakeRegistry();
  const chain = admissionChain(registry);
  const node = await registry.fake(resourceFor('', 'v1', 'nodes')!).create(undefined, { metadata: { name: 'a' } });
  const mirror = (name: string, owners?: unknown[]): KubeObject => ({
    metadata: { name, namespace: 'team', annotations: { 'kubernetes.io/config.mirror': 'x' }, ...(owners ? { ownerReferences: owners as never } : {}) },
    spec: { nodeName: 'a', containers: [{ name: 'c', image: 'x' }] },
  });
  const create = (o: KubeObject) => chain.mutate(attrs('CREATE', 'pods', 'team', o.metadata.name), o, undefined);
  const self = { apiVersion: 'v1', kind: 'Node', name: 'a', uid: node.metadata.uid, controller: true };
  await create(mirror('ok', [self]));
  await refused(create(mirror('none')), 403, 'pods "none" is forbidden: node "a" can only create pods with an owner reference set to itself');
  await refused(create(mirror('two', [self, self])), 403, 'pods "two" is forbidden: node "a" can only create pods with a single owner reference set to itself');
  await refused(create(mirror('other', [{ ...self, name: 'b' }])), 403, 'pods "other" is forbidden: node "a" can only create pods with an owner reference set to itself');
  await refused(create(mirror('nocontroller', [{ ...self, controller: false }])), 403, 'pods "nocontroller" is forbidden: node "a" can only create pods with a controller owner reference set to itself');
  await refused(create(mirror('block', [{ ...self, blockOwnerDeletion: true }])), 403, 'pods "block" is forbidden: node "a" must not set blockOwnerDeletion on an owner reference');
  await refused(create(mirror('uid', [{ ...self, uid: 'u-1' }])), 403, `pods "uid" is forbidden: node a UID mismatch: expected u-1 got ${node.metadata.uid}`);
  await refused(chain.mutate(attrs('UPDATE', 'pods', 'team', 'ok'), mirror('ok', [self]), mirror('ok', [self])), 403, 'pods "ok" is forbidden: unexpected operation "UPDATE", node "a" can only create and delete mirror pods');
});

test('NodeRestriction: pod status, eviction, unknown subresources, leases, CSINodes, PVCs, nameless nodes', async () => {
  const registry = fakeRegistry();
  const chain = admissionChain(registry);
  const pods = registry.fake(resourceFor('', 'v1', 'pods')!);
  const onA = await pods.create('team', { metadata: { name: 'on-a', labels: { app: 'x' } }, spec: { nodeName: 'a' } });
  await pods.create('team', { metadata: { name: 'on-b' }, spec: { nodeName: 'b' } });
  const relabeled = { ...onA, metadata: { ...onA.metadata, labels: { app: 'y' } } };
  await refused(chain.mutate(attrs('UPDATE', 'pods', 'team', 'on-a', { subresource: 'status' }), relabeled, onA), 403, 'pods "on-a" is forbidden: node "a" cannot update labels through pod status');
  await chain.mutate(attrs('UPDATE', 'pods', 'team', 'on-a', { subresource: 'status' }), { ...onA, status: { phase: 'Running' } }, onA);
  await refused(chain.mutate(attrs('CREATE', 'pods', 'team', 'on-b', { subresource: 'eviction' }), { metadata: { name: 'on-b' } }, undefined), 403, 'pods "on-b" is forbidden: node a can only evict pods with spec.nodeName set to itself');
  await refused(chain.mutate(attrs('CREATE', 'pods', 'team', 'gone', { subresource: 'eviction' }), { metadata: { name: 'gone' } }, undefined), 404, 'pods "gone" not found');
  await refused(chain.mutate(attrs('CREATE', 'pods', 'team', 'on-a', { subresource: 'exec' }), { metadata: {} }, undefined), 403, `pods "on-a" is forbidden: unexpected pod subresource "exec", only 'status' and 'eviction' are allowed`);
  const lease = (name: string, namespace = 'kube-node-lease') => attrs('CREATE', 'leases', namespace, name, { group: 'coordination.k8s.io' });
  await chain.mutate(lease('a'), { metadata: { name: 'a' } }, undefined);
  await refused(chain.mutate(lease('a', 'default'), { metadata: { name: 'a' } }, undefined), 403, 'leases.coordination.k8s.io "a" is forbidden: can only access leases in the "kube-node-lease" system namespace');
  await refused(chain.mutate(lease('b'), { metadata: { name: 'b' } }, undefined), 403, 'leases.coordination.k8s.io "b" is forbidden: can only access node lease with the same name as the requesting node');
  const csi = (op: AdmissionAttributes['operation'], name: string) => attrs(op, 'csinodes', undefined, name, { group: 'storage.k8s.io' });
  await chain.mutate(csi('CREATE', 'a'), { metadata: { name: 'a' } }, undefined);
  await refused(chain.mutate(csi('UPDATE', 'b'), { metadata: { name: 'b' } }, { metadata: { name: 'b' } }), 403, 'csinodes.storage.k8s.io "b" is forbidden: can only access CSINode with the same name as the requesting node');
  await refused(chain.mutate(attrs('UPDATE', 'persistentvolumeclaims', 'team', 'data'), { metadata: { name: 'data' } }, { metadata: { name: 'data' } }), 403, 'persistentvolumeclaims "data" is forbidden: may only update PVC status');
  const pvc = { metadata: { name: 'data', labels: { a: 'b' } }, status: { capacity: { storage: '1Gi' } } };
  await chain.mutate(attrs('UPDATE', 'persistentvolumeclaims', 'team', 'data', { subresource: 'status' }), { ...pvc, status: { capacity: { storage: '2Gi' } } }, pvc);
  await assert.rejects(chain.mutate(attrs('UPDATE', 'persistentvolumeclaims', 'team', 'data', { subresource: 'status' }), { ...pvc, metadata: { name: 'data' } }, pvc), /is not allowed to update fields other than status.capacity and status.conditions/);
  const nameless: UserInfo = { username: 'system:node:', groups: ['system:nodes'] };
  await refused(chain.mutate(attrs('UPDATE', 'nodes', undefined, 'a', { user: nameless }), { metadata: { name: 'a' } }, { metadata: { name: 'a' } }), 403, 'nodes "a" is forbidden: could not determine node from user "system:node:"');
  // A node's own DELETE of a pod on another node is refused at the validating step (DELETE has no mutating one here).
  await refused(chain.validate(attrs('DELETE', 'pods', 'team', 'on-b'), undefined, await pods.get('team', 'on-b')), 403, 'pods "on-b" is forbidden: node "a" can only delete pods with spec.nodeName set to itself');
});

test('ResourceQuota: concurrent creates cannot both squeeze under the last unit of a quota', async () => {
  const registry = fakeRegistry();
  const chain = admissionChain(registry);
  const quotas = registry.fake(resourceFor('', 'v1', 'resourcequotas')!);
  await quotas.create('q', { metadata: { name: 'cm' }, spec: { hard: { 'count/configmaps': '1' } }, status: { hard: { 'count/configmaps': '1' }, used: { 'count/configmaps': '0' } } });
  const a = (name: string) => attrs('CREATE', 'configmaps', 'q', name, { user: admin });
  const results = await Promise.allSettled(['one', 'two'].map((n) => chain.validate(a(n), { metadata: { name: n } }, undefined)));
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  assert.match((rejected.reason as Error).message, /^configmaps "(one|two)" is forbidden: exceeded quota: cm, requested: count\/configmaps=1, used: count\/configmaps=1, limited: count\/configmaps=1$/);
  assert.deepEqual((await quotas.get('q', 'cm')).status, { hard: { 'count/configmaps': '1' }, used: { 'count/configmaps': '1' } });
});

test('with cache: true, quotas and limit ranges come from watches that follow changes', async () => {
  const registry = fakeRegistry();
  const chain = admissionChain(registry, { cache: true });
  try {
    const quotas = registry.fake(resourceFor('', 'v1', 'resourcequotas')!);
    const a = (name: string) => attrs('CREATE', 'configmaps', 'c', name, { user: admin });
    await chain.validate(a('before'), { metadata: { name: 'before' } }, undefined);
    await quotas.create('c', { metadata: { name: 'none-allowed' }, spec: { hard: { 'count/configmaps': '0' } } });
    await refused(chain.validate(a('after'), { metadata: { name: 'after' } }, undefined), 403, 'configmaps "after" is forbidden: exceeded quota: none-allowed, requested: count/configmaps=1, used: count/configmaps=0, limited: count/configmaps=0');
    await quotas.delete('c', 'none-allowed');
    await chain.validate(a('again'), { metadata: { name: 'again' } }, undefined);

    await registry.fake(resourceFor('', 'v1', 'limitranges')!).create('c', { metadata: { name: 'lr' }, spec: { limits: [{ type: 'Container', default: { cpu: '250m' } }] } });
    const pod: KubeObject = { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'x' }] } };
    await registry.fake(resourceFor('', 'v1', 'serviceaccounts')!).create('c', { metadata: { name: 'default' } });
    await chain.mutate(attrs('CREATE', 'pods', 'c', 'p', { user: admin }), pod, undefined);
    assert.deepEqual((pod.spec as { containers: { resources?: unknown }[] }).containers[0]!.resources, { limits: { cpu: '250m' } });
  } finally {
    chain.close();
  }
});
