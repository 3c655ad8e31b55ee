import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CycleState } from '../../src/scheduler/framework/cycle-state.js';
import { PodInfo } from '../../src/scheduler/framework/pod-info.js';
import { Snapshot } from '../../src/scheduler/cache/snapshot.js';
import { SchedulerCache } from '../../src/scheduler/cache/cache.js';
import { Framework } from '../../src/scheduler/framework/runtime.js';
import { inTreeRegistry } from '../../src/scheduler/framework/registry.js';
import { resolveProfiles } from '../../src/scheduler/config/profile.js';
import { schedulePod, StartIndex } from '../../src/scheduler/schedule-one.js';
import type { SchedulerApi } from '../../src/scheduler/framework/interface.js';
import type { Node, Pod } from '../../src/scheduler/framework/types.js';

// percentageOfNodesToScore and the round-robin start index, as upstream's
// findNodesThatPassFilters: a large cluster is not scanned whole per pod, and
// successive pods begin their scan where the previous one stopped.

const node = (name: string): Node => ({ metadata: { name, labels: { 'kubernetes.io/hostname': name } }, status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } });
const pod = (name: string): Pod => ({ metadata: { name, namespace: 'default', uid: name }, spec: { containers: [{ name: 'c', resources: { requests: { cpu: '100m' } } }] } });

function setup(n: number, percentageOfNodesToScore?: number) {
  const cache = new SchedulerCache();
  for (let i = 0; i < n; i++) cache.addNode(node(`n${String(i).padStart(4, '0')}`));
  const snap = new Snapshot();
  cache.updateSnapshot(snap);
  const api = {} as SchedulerApi;
  const fwk = new Framework(resolveProfiles({ percentageOfNodesToScore })[0]!, inTreeRegistry(), { snapshot: () => snap, namespaceLabels: () => undefined, nominatedPodsForNode: () => [], api });
  return { fwk, snap };
}

test('1,000 nodes, adaptive percentage (50 - 1000/125 = 42%): 420 nodes evaluated per pod, next pod starts where the last stopped', () => {
  const { fwk, snap } = setup(1000);
  const start = new StartIndex();
  const r1 = schedulePod(fwk, new CycleState(), new PodInfo(pod('a')), snap, start);
  assert.equal(r1.kind, 'ok');
  if (r1.kind !== 'ok') return;
  assert.equal(r1.evaluatedNodes, 420);
  assert.equal(r1.feasibleNodes, 420);
  assert.equal(start.value, 420);
  const r2 = schedulePod(fwk, new CycleState(), new PodInfo(pod('b')), snap, start);
  assert.equal(r2.kind === 'ok' && r2.evaluatedNodes, 420);
  assert.equal(start.value, 840);
  // Wraps around the node list.
  schedulePod(fwk, new CycleState(), new PodInfo(pod('c')), snap, start);
  assert.equal(start.value, 260);
});

test('a configured percentage is honoured, with the floor of 100 nodes; small clusters are scanned whole', () => {
  const big = setup(1000, 20);
  const r = schedulePod(big.fwk, new CycleState(), new PodInfo(pod('a')), big.snap, new StartIndex());
  assert.equal(r.kind === 'ok' && r.evaluatedNodes, 200);
  const floor = setup(1000, 1);
  const f = schedulePod(floor.fwk, new CycleState(), new PodInfo(pod('a')), floor.snap, new StartIndex());
  assert.equal(f.kind === 'ok' && f.evaluatedNodes, 100);
  // A profile's own value overrides the top-level one.
  const cache = new SchedulerCache();
  for (let i = 0; i < 1000; i++) cache.addNode(node(`m${i}`));
  const snap = new Snapshot();
  cache.updateSnapshot(snap);
  const profile = resolveProfiles({ percentageOfNodesToScore: 20, profiles: [{ percentageOfNodesToScore: 30 }] })[0]!;
  const fwk = new Framework(profile, inTreeRegistry(), { snapshot: () => snap, namespaceLabels: () => undefined, nominatedPodsForNode: () => [], api: {} as SchedulerApi });
  const o = schedulePod(fwk, new CycleState(), new PodInfo(pod('a')), snap, new StartIndex());
  assert.equal(o.kind === 'ok' && o.evaluatedNodes, 300);
  const small = setup(90);
  const s = schedulePod(small.fwk, new CycleState(), new PodInfo(pod('a')), small.snap, new StartIndex());
  assert.equal(s.kind === 'ok' && s.evaluatedNodes, 90);
});
