import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CycleState } from '../../src/scheduler/framework/cycle-state.js';
import { NodeInfo } from '../../src/scheduler/framework/node-info.js';
import { PodInfo } from '../../src/scheduler/framework/pod-info.js';
import type { NodeScore } from '../../src/scheduler/framework/interface.js';
import { NodeResourcesFit } from '../../src/scheduler/plugins/noderesourcesfit/fit.js';
import { BalancedAllocation } from '../../src/scheduler/plugins/balancedallocation/balanced-allocation.js';
import { TaintToleration } from '../../src/scheduler/plugins/tainttoleration/taint-toleration.js';
import { NodeAffinity } from '../../src/scheduler/plugins/nodeaffinity/node-affinity.js';
import type { Node, Pod } from '../../src/scheduler/framework/types.js';

const node = (name: string, cpu: string, memory: string, extra: Partial<Node> = {}): NodeInfo =>
  new NodeInfo({ metadata: { name, labels: {} }, spec: {}, status: { allocatable: { cpu, memory, pods: '110' } }, ...extra });
const pod = (requests: Record<string, string>[], spec: Partial<Pod['spec']> = {}): PodInfo =>
  new PodInfo({ metadata: { name: 'p', namespace: 'default' }, spec: { containers: requests.map((r, i) => ({ name: `c${i}`, resources: { requests: r } })), ...spec } });

// From upstream's least_allocated_test.go: "nothing scheduled, resources requested, differently sized nodes".
test('LeastAllocated: upstream case', () => {
  const fit = new NodeResourcesFit();
  const p = pod([{ cpu: '1000m', memory: '0' }, { cpu: '2000m', memory: '5000' }]);
  assert.equal(fit.score(new CycleState(), p, node('n1', '4000m', '10000')), 37); // cpu (4000-3000)*100/4000=25, mem (10000-5000)*100/10000=50
  assert.equal(fit.score(new CycleState(), p, node('n2', '6000m', '10000')), 50); // cpu 50, mem 50
});

test('MostAllocated: upstream case', () => {
  const fit = new NodeResourcesFit({ scoringStrategy: { type: 'MostAllocated' } });
  const p = pod([{ cpu: '1000m', memory: '0' }, { cpu: '2000m', memory: '5000' }]);
  assert.equal(fit.score(new CycleState(), p, node('n1', '4000m', '10000')), 62); // cpu 75, mem 50
  assert.equal(fit.score(new CycleState(), p, node('n2', '6000m', '10000')), 50);
});

test('scoring uses non-zero defaults for containers without requests', () => {
  const fit = new NodeResourcesFit();
  // 100m of 1000m and 200Mi of 1000Mi → (90 + 80) / 2 = 85
  assert.equal(fit.score(new CycleState(), pod([{}]), node('n', '1000m', `${1000 * 1024 * 1024}`)), 85);
});

test('BalancedAllocation: upstream case (1 - |cpuFraction - memFraction| / 2)', () => {
  const ba = new BalancedAllocation();
  const p = pod([{ cpu: '3000m', memory: '5000' }]);
  // cpu 3000/4000 = 0.75, mem 5000/10000 = 0.5 → std 0.125 → 87
  assert.equal(ba.score(new CycleState(), p, node('n1', '4000m', '10000')), 87);
  // cpu 0.5, mem 0.5 → 100
  assert.equal(ba.score(new CycleState(), p, node('n2', '6000m', '10000')), 100);
});

function scoreAll(plugin: { score(s: CycleState, p: PodInfo, n: NodeInfo): number; normalizeScore?(s: CycleState, p: PodInfo, x: NodeScore[]): void }, p: PodInfo, nodes: NodeInfo[]): number[] {
  const s = new CycleState();
  const scores = nodes.map((n) => ({ node: n, score: plugin.score(s, p, n) }));
  plugin.normalizeScore?.(s, p, scores);
  return scores.map((x) => x.score);
}

test('TaintToleration score: fewer untolerated PreferNoSchedule taints is better (upstream case)', () => {
  const tt = new TaintToleration();
  const withTaints = (name: string, taints: { key: string; value: string; effect: 'PreferNoSchedule' }[]) => node(name, '1', '1Gi', { spec: { taints } });
  const nodes = [
    withTaints('n1', []),
    withTaints('n2', [{ key: 'cpu-type', value: 'arm64', effect: 'PreferNoSchedule' }]),
    withTaints('n3', [
      { key: 'cpu-type', value: 'arm64', effect: 'PreferNoSchedule' },
      { key: 'disk-type', value: 'ssd', effect: 'PreferNoSchedule' },
    ]),
  ];
  assert.deepEqual(scoreAll(tt, pod([]), nodes), [100, 50, 0]);
  const tolerating = pod([], { tolerations: [{ key: 'cpu-type', operator: 'Equal', value: 'arm64', effect: 'PreferNoSchedule' }] });
  assert.deepEqual(scoreAll(tt, tolerating, nodes), [100, 100, 0]);
});

test('NodeAffinity score: preferred term weights normalized to 100', () => {
  const na = new NodeAffinity();
  const labelled = (name: string, labels: Record<string, string>) => node(name, '1', '1Gi', { metadata: { name, labels } });
  const p = pod([], {
    affinity: {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 2, preference: { matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar'] }] } },
          { weight: 4, preference: { matchExpressions: [{ key: 'key', operator: 'In', values: ['value'] }] } },
          { weight: 5, preference: { matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar'] }, { key: 'key', operator: 'In', values: ['value'] }, { key: 'az', operator: 'In', values: ['az1'] }] } },
        ],
      },
    },
  });
  const nodes = [labelled('n1', { foo: 'bar' }), labelled('n2', { key: 'value' }), labelled('n3', { foo: 'bar', key: 'value', az: 'az1' })];
  assert.deepEqual(scoreAll(na, p, nodes), [18, 36, 100]);
});
