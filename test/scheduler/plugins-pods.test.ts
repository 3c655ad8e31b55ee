import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CycleState } from '../../src/scheduler/framework/cycle-state.js';
import { NodeInfo } from '../../src/scheduler/framework/node-info.js';
import { PodInfo } from '../../src/scheduler/framework/pod-info.js';
import { Code } from '../../src/scheduler/framework/status.js';
import { Snapshot } from '../../src/scheduler/cache/snapshot.js';
import { SchedulerCache } from '../../src/scheduler/cache/cache.js';
import { PodTopologySpread } from '../../src/scheduler/plugins/podtopologyspread/topology-spread.js';
import { InterPodAffinity } from '../../src/scheduler/plugins/interpodaffinity/inter-pod-affinity.js';
import type { Handle } from '../../src/scheduler/framework/interface.js';
import type { Node, Pod } from '../../src/scheduler/framework/types.js';

function cluster(nodes: Node[], pods: Pod[]): { snap: Snapshot; handle: Handle } {
  const cache = new SchedulerCache();
  for (const n of nodes) cache.addNode(n);
  for (const p of pods) cache.addPod(p);
  const snap = new Snapshot();
  cache.updateSnapshot(snap);
  const handle = { snapshot: () => snap, namespaceLabels: () => undefined } as unknown as Handle;
  return { snap, handle };
}

const node = (name: string, labels: Record<string, string>): Node => ({ metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, status: { allocatable: { cpu: '10', memory: '10Gi', pods: '100' } } });
const pod = (name: string, labels: Record<string, string>, nodeName?: string, spec: Partial<Pod['spec']> = {}): Pod => ({
  metadata: { name, namespace: 'default', labels },
  spec: { containers: [{ name: 'c' }], nodeName, ...spec },
});

function filterAll(plugin: { preFilter(s: CycleState, p: PodInfo, n: readonly NodeInfo[]): { status: { code: Code } }; filter(s: CycleState, p: PodInfo, n: NodeInfo): { code: Code; message(): string } }, p: Pod, snap: Snapshot): Record<string, string> {
  const s = new CycleState();
  const pi = new PodInfo(p);
  const pre = plugin.preFilter(s, pi, snap.list);
  const out: Record<string, string> = {};
  for (const ni of snap.list) {
    if (pre.status.code === Code.Skip) out[ni.name] = 'ok';
    else {
      const r = plugin.filter(s, pi, ni);
      out[ni.name] = r.code === Code.Success ? 'ok' : r.message();
    }
  }
  return out;
}

// After upstream's podtopologyspread filtering_test.go "pods spread across zones as 3/3, all nodes fit" style cases.
test('PodTopologySpread filter: skew against the least loaded zone', () => {
  const nodes = [node('a1', { zone: 'a' }), node('a2', { zone: 'a' }), node('b1', { zone: 'b' }), node('c1', {})];
  const existing = [pod('e1', { foo: '' }, 'a1'), pod('e2', { foo: '' }, 'a2'), pod('e3', { foo: '' }, 'b1')];
  const { snap, handle } = cluster(nodes, existing);
  const spread = new PodTopologySpread(handle);
  const incoming = pod('p', { foo: '' }, undefined, {
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchExpressions: [{ key: 'foo', operator: 'Exists' }] } }],
  });
  assert.deepEqual(filterAll(spread, incoming, snap), {
    a1: "node(s) didn't match pod topology spread constraints",
    a2: "node(s) didn't match pod topology spread constraints",
    b1: 'ok',
    c1: "node(s) didn't match pod topology spread constraints (missing required label)",
  });
  // maxSkew 2 allows zone a (2 + 1 - 1 = 2).
  const relaxed = { ...incoming, spec: { ...incoming.spec, topologySpreadConstraints: [{ ...incoming.spec.topologySpreadConstraints![0]!, maxSkew: 2 }] } };
  assert.equal(filterAll(spread, relaxed, snap).a1, 'ok');
});

test('PodTopologySpread: minDomains counts missing domains as empty', () => {
  const { snap, handle } = cluster([node('a1', { zone: 'a' }), node('b1', { zone: 'b' })], [pod('e1', { foo: '' }, 'a1'), pod('e2', { foo: '' }, 'b1')]);
  const p = pod('p', { foo: '' }, undefined, {
    topologySpreadConstraints: [{ maxSkew: 1, minDomains: 3, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { foo: '' } } }],
  });
  assert.deepEqual(filterAll(new PodTopologySpread(handle), p, snap), {
    a1: "node(s) didn't match pod topology spread constraints",
    b1: "node(s) didn't match pod topology spread constraints",
  });
});

test('InterPodAffinity filter: affinity, anti-affinity, existing anti-affinity and the first pod of a group', () => {
  const nodes = [node('n1', { zone: 'z1' }), node('n2', { zone: 'z1' }), node('n3', { zone: 'z2' })];
  const antiSecurity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: { matchLabels: { security: 'S1' } } }] } };
  const existing = [pod('db', { service: 'db' }, 'n1'), pod('guard', { app: 'guard' }, 'n3', { affinity: antiSecurity })];
  const { snap, handle } = cluster(nodes, existing);
  const ipa = new InterPodAffinity(handle);
  const affinityToDb = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: { matchLabels: { service: 'db' } } }] } };
  assert.deepEqual(filterAll(ipa, pod('p', {}, undefined, { affinity: affinityToDb }), snap), { n1: 'ok', n2: 'ok', n3: "node(s) didn't match pod affinity rules" });
  const antiDb = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { service: 'db' } } }] } };
  assert.deepEqual(filterAll(ipa, pod('p', {}, undefined, { affinity: antiDb }), snap), { n1: "node(s) didn't match pod anti-affinity rules", n2: 'ok', n3: 'ok' });
  assert.deepEqual(filterAll(ipa, pod('p', { security: 'S1' }), snap), { n1: 'ok', n2: 'ok', n3: "node(s) didn't satisfy existing pods anti-affinity rules" });
  // No pod matches yet, but the pod matches its own term: it may start the group.
  const self = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: { matchLabels: { team: 'x' } } }] } };
  assert.deepEqual(filterAll(ipa, pod('p', { team: 'x' }, undefined, { affinity: self }), snap), { n1: 'ok', n2: 'ok', n3: 'ok' });
  assert.deepEqual(filterAll(ipa, pod('p', { team: 'y' }, undefined, { affinity: self }), snap), {
    n1: "node(s) didn't match pod affinity rules",
    n2: "node(s) didn't match pod affinity rules",
    n3: "node(s) didn't match pod affinity rules",
  });
});
