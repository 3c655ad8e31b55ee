import { test } from 'node:test';
import assert from 'node:assert/strict';
import { updateStatefulSet, type ControlDeps } from '../../../src/controllers/statefulset/control.js';
import { newRevision } from '../../../src/controllers/shared/history.js';
import { applyRevision, newVersionedPod } from '../../../src/controllers/statefulset/identity.js';
import type { StatefulPodControl } from '../../../src/controllers/statefulset/pod-control.js';
import type { StatefulSet } from '../../../src/controllers/statefulset/types.js';
import type { Pod } from '../../../src/controllers/shared/types.js';
import type { EventRecorder } from '../../../src/client/events/recorder.js';
import type { Logger } from '../../../src/util/log.js';

// One pass of the control loop against a recording pod control: which pods
// it creates and deletes, and the status it reports, for sets with many
// ordinals missing (a start-up).

const set = (replicas: number, policy: 'OrderedReady' | 'Parallel'): StatefulSet => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'default', uid: 'set-uid', generation: 1 },
  spec: {
    replicas,
    podManagementPolicy: policy,
    serviceName: 'web',
    selector: { matchLabels: { app: 'web' } },
    updateStrategy: { type: 'RollingUpdate' },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
  },
});

function deps(pending: Set<string> = new Set()): { d: ControlDeps; created: string[]; deleted: string[] } {
  const created: string[] = [];
  const deleted: string[] = [];
  const pods = {
    claims: { isStale: () => false, createMissing: async () => undefined, matchesPolicy: () => true, updateForPolicy: async () => undefined },
    create: async (_s: StatefulSet, p: Pod): Promise<Pod> => {
      created.push(p.metadata.name!);
      return { ...p, metadata: { ...p.metadata, uid: `uid-${p.metadata.name}` }, status: { phase: 'Pending' } };
    },
    delete: async (_s: StatefulSet, p: Pod): Promise<void> => void deleted.push(p.metadata.name!),
    update: async (): Promise<void> => undefined,
  } as unknown as StatefulPodControl;
  const log = { debug: () => undefined, info: () => undefined } as unknown as Logger;
  const d: ControlDeps = {
    pods,
    recorder: { event: () => undefined } as unknown as EventRecorder,
    log,
    pending: { has: (_ns, name) => pending.has(name), add: (_ns, name) => void pending.add(name), forget: (_ns, name) => void pending.delete(name) },
    now: Date.now,
  };
  return { d, created, deleted };
}

const readyPod = (s: StatefulSet, rev: string, ordinal: number): Pod => {
  const p = newVersionedPod(s, s, rev, rev, ordinal);
  p.metadata.uid = `uid-${ordinal}`;
  p.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
  return p;
};

/** The set with its uid behind a getter that counts reads: each pod built for an ordinal reads it once, for its owner reference. */
function counting(s: StatefulSet): { s: StatefulSet; reads: () => number } {
  let n = 0;
  const uid = s.metadata.uid;
  Object.defineProperty(s.metadata, 'uid', { get: () => (n++, uid), enumerable: true });
  return { s, reads: () => n };
}

test('OrderedReady start-up: one pass creates only the next ordinal, and builds no pod for the ordinals after it', async () => {
  const { s, reads } = counting(set(1000, 'OrderedReady'));
  const rev = newRevision(s, 'apps/v1', 'StatefulSet', 1, 0);
  const pods = [0, 1, 2].map((o) => readyPod(s, rev.metadata.name!, o));
  const { d, created } = deps();
  // The pass's views of the set at each revision share its metadata (no deep copy of the set per sync), so the counter sees every pod built.
  assert.equal(applyRevision(s, rev).metadata, s.metadata);
  const before = reads();
  const status = await updateStatefulSet(d, s, rev, rev, 0, pods);
  assert.deepEqual(created, ['web-3']);
  assert.deepEqual({ replicas: status.replicas, ready: status.readyReplicas, current: status.currentReplicas, updated: status.updatedReplicas }, { replicas: 4, ready: 3, current: 4, updated: 4 });
  assert.ok(reads() - before >= 1 && reads() - before <= 4, `pods built: ${reads() - before} (one for web-3, none for the ordinals after it)`);
});

test('OrderedReady waits on a pod that is not Ready yet: no creation, the missing ordinals counted nowhere', async () => {
  const s = set(50, 'OrderedReady');
  const rev = newRevision(s, 'apps/v1', 'StatefulSet', 1, 0);
  const pods = [readyPod(s, rev.metadata.name!, 0), { ...readyPod(s, rev.metadata.name!, 1), status: { phase: 'Pending' } }];
  const { d, created, deleted } = deps();
  const status = await updateStatefulSet(d, s, rev, rev, 0, pods);
  assert.deepEqual(created, []);
  assert.deepEqual(deleted, []);
  assert.deepEqual({ replicas: status.replicas, ready: status.readyReplicas, available: status.availableReplicas }, { replicas: 2, ready: 1, available: 1 });
});

test('Parallel start-up: every missing ordinal not already being created is created in one pass, and only those are built', async () => {
  const { s, reads } = counting(set(20, 'Parallel'));
  const rev = newRevision(s, 'apps/v1', 'StatefulSet', 1, 0);
  const { d, created } = deps(new Set(['web-4', 'web-7']));
  const ready = readyPod(s, rev.metadata.name!, 0);
  const before = reads();
  const status = await updateStatefulSet(d, s, rev, rev, 0, [ready]);
  const want = Array.from({ length: 20 }, (_, i) => `web-${i}`).filter((n) => !['web-0', 'web-4', 'web-7'].includes(n));
  assert.deepEqual([...created].sort(), want.sort());
  assert.equal(reads() - before, created.length, 'pods whose creation is in flight are not built again');
  assert.equal(status.replicas, 18);
  assert.equal(status.readyReplicas, 1);
});
