import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type Classified } from '../../src/controllers/garbagecollector/collector.js';
import { Graph, GraphNode, diffOwners } from '../../src/controllers/garbagecollector/graph.js';
import { ConditionCollector } from '../../src/controllers/namespace/conditions.js';
import { terminatedToDelete, unscheduledTerminating, missingNodes, terminatingOnOutOfServiceNodes, type GcPod } from '../../src/controllers/podgc/decide.js';
import type { OwnerReference } from '../../src/api/types.js';

const ref = (uid: string, block = false): OwnerReference => ({ apiVersion: 'v1', kind: 'ConfigMap', name: uid, uid, blockOwnerDeletion: block });
const cls = (o: Partial<Classified>): Classified => ({ solid: [], dangling: [], waitingForDependentsDeletion: [], ...o });

test('garbage collector decisions as upstream attemptToDeleteItem', () => {
  assert.deepEqual(decide(cls({ solid: [ref('a')] }), { hasDependents: false, finalizers: [] }), { action: 'none' });
  assert.deepEqual(decide(cls({ solid: [ref('a')], dangling: [ref('b')], waitingForDependentsDeletion: [ref('c')] }), { hasDependents: false, finalizers: [] }), {
    action: 'removeOwnerRefs',
    uids: ['b', 'c'],
  });
  assert.deepEqual(decide(cls({ dangling: [ref('b')] }), { hasDependents: true, finalizers: [] }), { action: 'delete', policy: 'Background' });
  assert.deepEqual(decide(cls({ dangling: [ref('b')] }), { hasDependents: false, finalizers: ['orphan'] }), { action: 'delete', policy: 'Orphan' });
  assert.deepEqual(decide(cls({ dangling: [ref('b')] }), { hasDependents: false, finalizers: ['foregroundDeletion'] }), { action: 'delete', policy: 'Foreground' });
  // Waiting owners and own dependents: delete in the foreground so the owner keeps waiting for the whole subtree.
  assert.deepEqual(decide(cls({ waitingForDependentsDeletion: [ref('c')] }), { hasDependents: true, finalizers: [] }), { action: 'delete', policy: 'Foreground' });
  assert.deepEqual(decide(cls({ waitingForDependentsDeletion: [ref('c')] }), { hasDependents: false, finalizers: [] }), { action: 'delete', policy: 'Background' });
});

test('graph: virtual owners, blocking dependents, owner diffs', () => {
  const g = new Graph();
  const dep = new GraphNode({ apiVersion: 'v1', kind: 'ConfigMap', name: 'd', uid: 'd', namespace: 'ns' }, [ref('o', true), ref('p')], true);
  const virtuals = g.insert(dep);
  assert.deepEqual(virtuals.map((v) => [v.identity.uid, v.identity.namespace, v.observed]), [
    ['o', 'ns', false],
    ['p', 'ns', false],
  ]);
  assert.deepEqual(g.get('o')!.blockingDependents(), [dep]);
  assert.deepEqual(g.get('p')!.blockingDependents(), []);
  g.remove(dep);
  assert.equal(g.get('o')!.dependents.size, 0);
  const d = diffOwners([ref('a'), ref('b', true)], [ref('b'), ref('c')]);
  assert.deepEqual([d.added.map((r) => r.uid), d.removed.map((r) => r.uid), d.changed.map((c) => c.now.uid)], [['c'], ['a'], ['b']]);
});

test('namespace conditions carry upstream reasons and messages', () => {
  const c = new ConditionCollector();
  c.contentTotals(
    new Map([
      ['pods.', 2],
      ['deployments.apps', 1],
    ]),
    new Map([['example.com/x', 3]]),
  );
  const { conditions, changed } = c.merge(undefined, 'now');
  assert.equal(changed, true);
  const by = new Map(conditions.map((x) => [x.type, x]));
  assert.equal(by.get('NamespaceContentRemaining')?.message, 'Some resources are remaining: deployments.apps has 1 resource instances, pods. has 2 resource instances');
  assert.equal(by.get('NamespaceFinalizersRemaining')?.message, 'Some content in the namespace has finalizers remaining: example.com/x in 3 resource instances');
  assert.deepEqual(by.get('NamespaceDeletionContentFailure'), {
    type: 'NamespaceDeletionContentFailure',
    status: 'False',
    lastTransitionTime: 'now',
    reason: 'ContentDeleted',
    message: 'All content successfully deleted, may be waiting on finalization',
  });
  const again = new ConditionCollector();
  again.contentTotals(new Map([['pods.', 2], ['deployments.apps', 1]]), new Map([['example.com/x', 3]]));
  assert.equal(again.merge(conditions, 'later').changed, false, 'an unchanged pass writes nothing');
  const failed = new ConditionCollector();
  failed.contentDeleteFailed(new Error('boom'));
  const after = new Map(failed.merge(conditions, 'later').conditions.map((x) => [x.type, x]));
  assert.equal(after.get('NamespaceDeletionContentFailure')?.message, 'Failed to delete all resource types, 1 remaining: boom');
  assert.equal(after.get('NamespaceDeletionContentFailure')?.lastTransitionTime, 'later');
  assert.equal(after.get('NamespaceContentRemaining')?.reason, 'ContentRemoved');
});

function p(name: string, o: { phase?: string; created?: string; reason?: string; node?: string; deleting?: boolean } = {}): GcPod {
  return {
    metadata: { name, creationTimestamp: o.created ?? '2026-01-01T00:00:00Z', deletionTimestamp: o.deleting ? '2026-01-01T00:00:00Z' : undefined },
    spec: { nodeName: o.node },
    status: { phase: o.phase ?? 'Running', reason: o.reason },
  };
}

test('pod GC picks evicted, then oldest terminated pods beyond the threshold', () => {
  const pods = [
    p('new-done', { phase: 'Succeeded', created: '2026-01-03T00:00:00Z' }),
    p('old-done', { phase: 'Failed', created: '2026-01-01T00:00:00Z' }),
    p('evicted', { phase: 'Failed', reason: 'Evicted', created: '2026-01-04T00:00:00Z' }),
    p('running'),
    p('pending', { phase: 'Pending' }),
  ];
  assert.deepEqual(terminatedToDelete(pods, 1).map((x) => x.metadata.name), ['evicted', 'old-done']);
  assert.deepEqual(terminatedToDelete(pods, 3), []);
  assert.deepEqual(terminatedToDelete(pods, 0), [], '0 disables');
  assert.deepEqual(unscheduledTerminating([p('a', { deleting: true }), p('b', { deleting: true, node: 'n' }), p('c')]).map((x) => x.metadata.name), ['a']);
  assert.deepEqual([...missingNodes([p('a', { node: 'n1' }), p('b', { node: 'gone' }), p('c')], (n) => n === 'n1')], ['gone']);
  const oos = terminatingOnOutOfServiceNodes([p('a', { node: 'n1', deleting: true }), p('b', { node: 'n2', deleting: true })], (n) =>
    n === 'n1'
      ? { metadata: { name: n }, spec: { taints: [{ key: 'node.kubernetes.io/out-of-service', effect: 'NoExecute' }] }, status: { conditions: [{ type: 'Ready', status: 'False' }] } }
      : { metadata: { name: n }, status: { conditions: [{ type: 'Ready', status: 'False' }] } },
  );
  assert.deepEqual(oos.map((x) => x.metadata.name), ['a']);
});
