// NodeRestriction's rule for a joined node's local-path provisioner, at the
// admission chain: the updates RBAC does not grant it today (so the e2e test
// in test/join cannot reach them), a released volume whose class is gone, a
// nameless identity, and the server's provisioner, which it leaves alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admissionChain, type AdmissionAttributes } from '../../src/auth/admission/index.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import type { KubeObject } from '../../src/api/types.js';
import type { UserInfo } from '../../src/auth/user.js';
import { StatusError } from '../../src/api/errors.js';
import { fakeRegistry } from './fake-registry.js';
import { refused } from './refused.js';

const provisionerA: UserInfo = { username: 'system:k8ts:local-path-provisioner:a', groups: ['system:k8ts:local-path-provisioners', 'system:authenticated'] };
const server: UserInfo = { username: 'system:k8ts:local-path-provisioner', groups: ['system:authenticated'] };

function attrs(operation: AdmissionAttributes['operation'], name: string, user: UserInfo = provisionerA, extra: Partial<AdmissionAttributes> = {}): AdmissionAttributes {
  return { operation, group: '', version: 'v1', resource: 'persistentvolumes', kind: 'PersistentVolume', name, user, ...extra };
}


function pv(name: string, node: string, o: { className?: string; claimUid?: string; hostPath?: boolean } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': 'k8ts.io/local-path', 'k8ts.io/local-path-node': node } },
    spec: {
      storageClassName: o.className ?? 'local-path',
      ...(o.hostPath === false ? { local: { path: '/x' } } : { hostPath: { path: `/data/${name}` } }),
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
      claimRef: { namespace: 'team', name: 'data', uid: o.claimUid ?? 'uid-1' },
    },
  };
}

test('local-path provisioner of a node: updates keep a volume its own, deletes need only the pinning', async () => {
  const registry = fakeRegistry();
  const chain = admissionChain(registry);
  await registry.fake(resourceFor('storage.k8s.io', 'v1', 'storageclasses')!).create(undefined, { metadata: { name: 'local-path' }, provisioner: 'k8ts.io/local-path' } as KubeObject);
  const own = pv('own', 'a');
  const update = (next: KubeObject, old: KubeObject, extra: Partial<AdmissionAttributes> = {}) => chain.mutate(attrs('UPDATE', old.metadata.name!, provisionerA, extra), next, old);
  await update({ ...own, metadata: { ...own.metadata, labels: { x: 'y' } } }, own);
  await update({ ...own, status: { phase: 'Released' } }, own, { subresource: 'status' });
  await refused(update(pv('own', 'b'), own), 'persistentvolumes "own" is forbidden: local-path provisioner of node "a" can only update persistentvolumes whose spec.nodeAffinity pins them to itself (kubernetes.io/hostname In [a])');
  await refused(update(own, pv('theirs', 'b')), 'persistentvolumes "theirs" is forbidden: local-path provisioner of node "a" can only update persistentvolumes whose spec.nodeAffinity pins them to itself (kubernetes.io/hostname In [a])');
  await refused(update(pv('own', 'a', { claimUid: 'uid-2' }), own), 'persistentvolumes "own" is forbidden: local-path provisioner of node "a" cannot change spec.claimRef');
  await refused(update(pv('own', 'a', { hostPath: false }), own), 'persistentvolumes "own" is forbidden: local-path provisioner of node "a" can only update hostPath persistentvolumes');
  await refused(update(pv('own', 'a', { className: 'fast' }), own), 'persistentvolumes "own" is forbidden: local-path provisioner of node "a" can only update persistentvolumes of a StorageClass whose provisioner is "k8ts.io/local-path", not "fast"');

  // A released volume of its own disk is its to delete even when its class was deleted meanwhile.
  await chain.validate(attrs('DELETE', 'old'), undefined, pv('old', 'a', { className: 'deleted-class' }));
  await refused(chain.validate(attrs('DELETE', 'theirs'), undefined, pv('theirs', 'b')), 'persistentvolumes "theirs" is forbidden: local-path provisioner of node "a" can only delete persistentvolumes whose spec.nodeAffinity pins them to itself (kubernetes.io/hostname In [a])');
  const unannotated = pv('plain', 'a');
  unannotated.metadata.annotations = {};
  await refused(chain.validate(attrs('DELETE', 'plain'), undefined, unannotated), 'persistentvolumes "plain" is forbidden: local-path provisioner of node "a" can only delete persistentvolumes annotated pv.kubernetes.io/provisioned-by=k8ts.io/local-path and k8ts.io/local-path-node=a');

  // Its own claims are still looked up on create: a missing one is NotFound, as NodeRestriction does for pods.
  await assert.rejects(chain.mutate(attrs('CREATE', 'new'), pv('new', 'a'), undefined), (e: unknown) => e instanceof StatusError && e.code === 404 && e.message === 'persistentvolumeclaims "data" not found');
});

test('local-path provisioner: a nameless identity is refused; the server\'s and other users are not its business', async () => {
  const registry = fakeRegistry();
  const chain = admissionChain(registry);
  const nameless: UserInfo = { username: 'system:k8ts:local-path-provisioner:', groups: ['system:k8ts:local-path-provisioners'] };
  await refused(chain.validate(attrs('DELETE', 'x', nameless), undefined, pv('x', 'a')), 'persistentvolumes "x" is forbidden: could not determine node from user "system:k8ts:local-path-provisioner:"');
  await chain.validate(attrs('DELETE', 'x', server), undefined, pv('x', 'b'));
  await chain.mutate(attrs('CREATE', 'y', server), pv('y', 'b', { className: 'none' }), undefined);
  // Other resources (the events it records) pass through.
  await chain.mutate(attrs('CREATE', 'e', provisionerA, { resource: 'events', namespace: 'team', kind: 'Event' }), { metadata: { name: 'e', namespace: 'team' } }, undefined);
});
