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
import { splitByPdbViolation } from '../../src/scheduler/plugins/defaultpreemption/pdb.js';
import { DefaultPreemption } from '../../src/scheduler/plugins/defaultpreemption/default-preemption.js';
import type { PodDisruptionBudget, SchedulerApi } from '../../src/scheduler/framework/interface.js';
import type { Node, Pod } from '../../src/scheduler/framework/types.js';

// DefaultPreemption weighing PodDisruptionBudgets as upstream: budgets are
// spent most important victim first, violating victims are reprieved before
// the others, and the candidate node with the fewest violations wins before
// any priority criterion.

const node = (name: string, cpu = '2'): Node => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  status: { allocatable: { cpu, memory: '10Gi', pods: '100' } },
});
const pod = (name: string, o: { cpu: string; priority: number; labels?: Record<string, string>; nodeName?: string; namespace?: string }): Pod => ({
  metadata: { name, namespace: o.namespace ?? 'default', uid: `uid-${name}`, labels: o.labels, creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { containers: [{ name: 'c', resources: { requests: { cpu: o.cpu } } }], nodeName: o.nodeName, priority: o.priority },
});
const pdb = (name: string, matchLabels: Record<string, string> | undefined, allowed: number, o: { namespace?: string; disruptedPods?: Record<string, string> } = {}): PodDisruptionBudget => ({
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name, namespace: o.namespace ?? 'default' },
  spec: { selector: matchLabels === undefined ? undefined : { matchLabels } },
  status: { disruptionsAllowed: allowed, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptedPods: o.disruptedPods },
});

interface Calls {
  status: { pod: string; status: Record<string, unknown> }[];
  deleted: string[];
  events: string[];
}

function setup(nodes: Node[], pods: Pod[], pdbs: PodDisruptionBudget[]) {
  const cache = new SchedulerCache();
  for (const n of nodes) cache.addNode(n);
  for (const p of pods) cache.addPod(p);
  const snap = new Snapshot();
  cache.updateSnapshot(snap);
  const calls: Calls = { status: [], deleted: [], events: [] };
  const api: SchedulerApi = {
    bind: async () => undefined,
    deletePod: async (p) => void calls.deleted.push(p.metadata.name!),
    patchPodStatus: async (p, status) => void calls.status.push({ pod: p.metadata.name!, status }),
    event: (p, type, reason, message) => void calls.events.push(`${p.metadata.name} ${reason} ${message}`),
  };
  const fwk = new Framework(resolveProfiles({})[0]!, inTreeRegistry(), {
    snapshot: () => snap,
    namespaceLabels: () => undefined,
    nominatedPodsForNode: () => [],
    api,
    podDisruptionBudgets: () => pdbs,
  });
  return { fwk, snap, calls };
}

async function preempt(nodes: Node[], pods: Pod[], pdbs: PodDisruptionBudget[], preemptor: Pod) {
  const { fwk, snap, calls } = setup(nodes, pods, pdbs);
  const state = new CycleState();
  const info = new PodInfo(preemptor);
  const r = schedulePod(fwk, state, info, snap, new StartIndex());
  assert.equal(r.kind, 'fit', 'the preemptor must not fit anywhere before preemption');
  if (r.kind !== 'fit') throw new Error('unreachable');
  const pf = await fwk.runPostFilter(state, info, r.statuses);
  return { nominated: pf.result?.nominatedNodeName, status: pf.status, calls };
}

test('splitByPdbViolation spends budgets most important victim first, per namespace, skipping disrupted pods and empty selectors', () => {
  const infos = [
    pod('a', { cpu: '1', priority: 30, labels: { app: 'x' } }),
    pod('b', { cpu: '1', priority: 20, labels: { app: 'x' } }),
    pod('c', { cpu: '1', priority: 10, labels: { app: 'x' } }),
    pod('d', { cpu: '1', priority: 5 }),
    pod('e', { cpu: '1', priority: 1, labels: { app: 'x' }, namespace: 'other' }),
  ].map((p) => new PodInfo(p));
  const names = (l: PodInfo[]) => l.map((p) => p.pod.metadata.name).join(',');
  // One disruption allowed: a spends it, b and c violate; d has no labels; e is in another namespace.
  let r = splitByPdbViolation(infos, [pdb('x', { app: 'x' }, 1)]);
  assert.equal(names(r.violating), 'b,c');
  assert.equal(names(r.nonViolating), 'a,d,e');
  // b is already in the budget's disruptedPods: not charged again, so c still fits in the budget.
  r = splitByPdbViolation(infos, [pdb('x', { app: 'x' }, 2, { disruptedPods: { b: '2026-01-01T00:00:00Z' } })]);
  assert.equal(names(r.violating), '');
  // A budget whose selector is absent or empty matches nothing for preemption (upstream).
  r = splitByPdbViolation(infos, [pdb('none', undefined, 0), pdb('empty', {}, 0)]);
  assert.equal(names(r.violating), '');
  // Two budgets over the same pod: violating either is a violation.
  r = splitByPdbViolation(infos.slice(0, 1), [pdb('x', { app: 'x' }, 1), pdb('y', { app: 'x' }, 0)]);
  assert.equal(names(r.violating), 'a');
});

test('victims protected by a budget are reprieved first on a node', async () => {
  // Without budgets the more important "plain" is reprieved first and "guarded" is evicted; the budget reverses that.
  const pods = [pod('guarded', { cpu: '1', priority: 5, labels: { app: 'g' }, nodeName: 'n1' }), pod('plain', { cpu: '1', priority: 10, nodeName: 'n1' })];
  const preemptor = pod('vip', { cpu: '1', priority: 1000 });
  const without = await preempt([node('n1')], pods, [], preemptor);
  assert.equal(without.nominated, 'n1');
  assert.deepEqual(without.calls.deleted, ['guarded']);
  const withPdb = await preempt([node('n1')], pods, [pdb('g', { app: 'g' }, 0)], preemptor);
  assert.equal(withPdb.nominated, 'n1');
  assert.deepEqual(withPdb.calls.deleted, ['plain']);
  // The victim is marked as upstream does before it is deleted.
  const cond = (withPdb.calls.status[0]?.status.conditions as Record<string, string>[] | undefined)?.[0];
  assert.equal(withPdb.calls.status[0]?.pod, 'plain');
  assert.equal(cond?.type, 'DisruptionTarget');
  assert.equal(cond?.status, 'True');
  assert.equal(cond?.reason, 'PreemptionByScheduler');
  assert.equal(cond?.message, 'default-scheduler: preempting to accommodate a higher priority pod');
  assert.match(withPdb.calls.events[0]!, /^plain Preempted Preempted by pod uid-vip on node n1$/);
});

test('the candidate node violating fewer budgets wins before victim priority is compared', async () => {
  const nodes = [node('n1'), node('n2')];
  // n1's victim has the lower priority (upstream's second criterion would pick n1), but evicting it breaks a budget.
  const pods = [pod('guarded', { cpu: '2', priority: 0, labels: { app: 'g' }, nodeName: 'n1' }), pod('free', { cpu: '2', priority: 10, labels: { app: 'f' }, nodeName: 'n2' })];
  const preemptor = pod('vip', { cpu: '1', priority: 1000 });
  assert.equal((await preempt(nodes, pods, [], preemptor)).nominated, 'n1');
  const r = await preempt(nodes, pods, [pdb('g', { app: 'g' }, 0), pdb('f', { app: 'f' }, 1)], preemptor);
  assert.equal(r.nominated, 'n2');
  assert.deepEqual(r.calls.deleted, ['free']);
  // When every candidate violates, the usual criteria decide among them: still preempts rather than giving up.
  const both = await preempt(nodes, pods, [pdb('g', { app: 'g' }, 0), pdb('f', { app: 'f' }, 0)], preemptor);
  assert.equal(both.nominated, 'n1');
});

test('selectVictimsOnNode counts the victims that violate a budget', () => {
  const pods = [
    pod('g1', { cpu: '1', priority: 1, labels: { app: 'g' }, nodeName: 'n1' }),
    pod('g2', { cpu: '1', priority: 2, labels: { app: 'g' }, nodeName: 'n1' }),
    pod('p', { cpu: '1', priority: 3, nodeName: 'n1' }),
  ];
  const { fwk, snap } = setup([node('n1', '3')], pods, []);
  const plugin = new DefaultPreemption(fwk);
  const info = new PodInfo(pod('vip', { cpu: '3', priority: 100 }));
  const state = new CycleState();
  fwk.runPreFilter(state, info, snap.list);
  // Needs the whole node: all three go; one disruption allowed for g1,g2 means one of them violates.
  const r = plugin.selectVictimsOnNode(state, info, snap.get('n1')!.clone(), [pdb('g', { app: 'g' }, 1)]);
  assert.equal(r.status.isSuccess(), true);
  assert.deepEqual(
    r.victims.map((v) => v.pod.metadata.name),
    ['p', 'g2', 'g1'],
  );
  assert.equal(r.pdbViolations, 1);
});
