import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CycleState } from '../../src/scheduler/framework/cycle-state.js';
import { NodeInfo } from '../../src/scheduler/framework/node-info.js';
import { PodInfo } from '../../src/scheduler/framework/pod-info.js';
import { Code } from '../../src/scheduler/framework/status.js';
import { NodeResourcesFit, fitsRequest } from '../../src/scheduler/plugins/noderesourcesfit/fit.js';
import { TaintToleration } from '../../src/scheduler/plugins/tainttoleration/taint-toleration.js';
import { NodeUnschedulable } from '../../src/scheduler/plugins/nodeunschedulable/node-unschedulable.js';
import { NodeName } from '../../src/scheduler/plugins/nodename/node-name.js';
import { NodePorts } from '../../src/scheduler/plugins/nodeports/node-ports.js';
import { NodeAffinity } from '../../src/scheduler/plugins/nodeaffinity/node-affinity.js';
import type { Node, Pod } from '../../src/scheduler/framework/types.js';

function node(name: string, alloc: Record<string, string> = { cpu: '10', memory: '20', pods: '32' }, extra: Partial<Node> = {}): Node {
  return { metadata: { name, labels: {} }, spec: {}, status: { allocatable: alloc }, ...extra };
}

function pod(name: string, containers: Record<string, string>[] = [], extra: Partial<Pod['spec']> = {}, init: Record<string, string>[] = []): Pod {
  return {
    metadata: { name, namespace: 'default', uid: name },
    spec: {
      containers: containers.map((requests, i) => ({ name: `c${i}`, resources: { requests } })),
      initContainers: init.map((requests, i) => ({ name: `i${i}`, resources: { requests } })),
      ...extra,
    },
  };
}

function nodeWith(n: Node, ...pods: Pod[]): NodeInfo {
  const ni = new NodeInfo(n);
  for (const p of pods) ni.addPod(new PodInfo(p));
  return ni;
}

const state = () => new CycleState();

// Cases after upstream's noderesources/fit_test.go (cpu in milli-units, memory in bytes: allocatable 10 cpu-milli... scaled).
test('NodeResourcesFit: upstream enoughRequests cases', () => {
  const fit = new NodeResourcesFit();
  const alloc = { cpu: '10m', memory: '20', pods: '32' };
  const cases: { name: string; pod: Pod; existing: Pod[]; want: string[] }[] = [
    { name: 'no resources requested always fits', pod: pod('p'), existing: [pod('e', [{ cpu: '10m', memory: '20' }])], want: [] },
    { name: 'too many resources fails', pod: pod('p', [{ cpu: '1m', memory: '1' }]), existing: [pod('e', [{ cpu: '10m', memory: '20' }])], want: ['Insufficient cpu', 'Insufficient memory'] },
    { name: 'too many resources fails due to init container cpu', pod: pod('p', [{ cpu: '1m', memory: '1' }], {}, [{ cpu: '3m', memory: '1' }]), existing: [pod('e', [{ cpu: '8m', memory: '19' }])], want: ['Insufficient cpu'] },
    { name: 'too many resources fails due to highest init container cpu', pod: pod('p', [{ cpu: '1m', memory: '1' }], {}, [{ cpu: '3m', memory: '1' }, { cpu: '2m', memory: '1' }]), existing: [pod('e', [{ cpu: '8m', memory: '19' }])], want: ['Insufficient cpu'] },
    { name: 'init container memory', pod: pod('p', [{ cpu: '1m', memory: '1' }], {}, [{ cpu: '1m', memory: '3' }]), existing: [pod('e', [{ cpu: '9m', memory: '19' }])], want: ['Insufficient memory'] },
    { name: 'init container fits because it is sequential', pod: pod('p', [{ cpu: '1m', memory: '1' }], {}, [{ cpu: '1m', memory: '1' }]), existing: [pod('e', [{ cpu: '9m', memory: '19' }])], want: [] },
    { name: 'both resources fit', pod: pod('p', [{ cpu: '1m', memory: '1' }]), existing: [pod('e', [{ cpu: '5m', memory: '5' }])], want: [] },
    { name: 'one resource memory fits', pod: pod('p', [{ cpu: '2m', memory: '1' }]), existing: [pod('e', [{ cpu: '9m', memory: '5' }])], want: ['Insufficient cpu'] },
    { name: 'one resource cpu fits', pod: pod('p', [{ cpu: '1m', memory: '2' }]), existing: [pod('e', [{ cpu: '5m', memory: '19' }])], want: ['Insufficient memory'] },
    { name: 'equal edge case', pod: pod('p', [{ cpu: '5m', memory: '1' }]), existing: [pod('e', [{ cpu: '5m', memory: '19' }])], want: [] },
    { name: 'extended resource missing on node', pod: pod('p', [{ cpu: '1m', memory: '1', 'example.com/foo': '1' }]), existing: [], want: ['Insufficient example.com/foo'] },
  ];
  for (const c of cases) {
    const s = fit.filter(state(), new PodInfo(c.pod), nodeWith(node('n', alloc), ...c.existing));
    assert.deepEqual([...s.reasons], c.want, c.name);
    if (c.want.length === 0) assert.equal(s.code, Code.Success, c.name);
  }
});

test('NodeResourcesFit: too many pods, and requests beyond allocatable are unresolvable', () => {
  const fit = new NodeResourcesFit();
  const full = nodeWith(node('n', { cpu: '10', memory: '20Gi', pods: '1' }), pod('e'));
  const s = fit.filter(state(), new PodInfo(pod('p')), full);
  assert.deepEqual([...s.reasons], ['Too many pods']);
  assert.equal(s.code, Code.Unschedulable);
  const huge = fit.filter(state(), new PodInfo(pod('p', [{ cpu: '20' }])), nodeWith(node('n', { cpu: '10', memory: '20Gi', pods: '10' })));
  assert.equal(huge.code, Code.UnschedulableAndUnresolvable);
  const i = fitsRequest(new PodInfo(pod('p', [{ cpu: '5' }])), nodeWith(node('n', { cpu: '10', memory: '20Gi', pods: '10' }), pod('e', [{ cpu: '8' }])));
  assert.deepEqual(i.map((x) => [x.resourceName, x.requested, x.used, x.capacity, x.unresolvable]), [['cpu', 5000, 8000, 10000, false]]);
});

test('TaintToleration filter: upstream cases', () => {
  const tt = new TaintToleration();
  const withTaints = (taints: NonNullable<Node['spec']>['taints']) => nodeWith(node('n', undefined, { spec: { taints } }));
  const dedicated = [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' as const }];
  assert.equal(tt.filter(state(), new PodInfo(pod('p')), withTaints(dedicated)).message(), 'node(s) had untolerated taint {dedicated: user1}');
  assert.equal(tt.filter(state(), new PodInfo(pod('p', [], { tolerations: [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }] })), withTaints(dedicated)).code, Code.Success);
  assert.equal(tt.filter(state(), new PodInfo(pod('p', [], { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'user2', effect: 'NoSchedule' }] })), withTaints(dedicated)).code, Code.UnschedulableAndUnresolvable);
  assert.equal(tt.filter(state(), new PodInfo(pod('p', [], { tolerations: [{ key: 'foo', operator: 'Exists', effect: 'NoSchedule' }] })), withTaints([{ key: 'foo', value: 'bar', effect: 'NoSchedule' }])).code, Code.Success);
  // A toleration with an empty effect tolerates every effect of that key.
  assert.equal(tt.filter(state(), new PodInfo(pod('p', [], { tolerations: [{ key: 'foo', operator: 'Equal', value: 'bar' }] })), withTaints([{ key: 'foo', value: 'bar', effect: 'NoExecute' }])).code, Code.Success);
  // PreferNoSchedule never filters.
  assert.equal(tt.filter(state(), new PodInfo(pod('p')), withTaints([{ key: 'foo', value: 'bar', effect: 'PreferNoSchedule' }])).code, Code.Success);
});

test('NodeUnschedulable: cordoned nodes take only pods tolerating the unschedulable taint', () => {
  const nu = new NodeUnschedulable();
  const cordoned = nodeWith(node('n', undefined, { spec: { unschedulable: true } }));
  assert.equal(nu.filter(state(), new PodInfo(pod('p')), cordoned).message(), 'node(s) were unschedulable');
  assert.equal(nu.filter(state(), new PodInfo(pod('p')), nodeWith(node('n'))).code, Code.Success);
  const tol = pod('p', [], { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
  assert.equal(nu.filter(state(), new PodInfo(tol), cordoned).code, Code.Success);
});

test('NodeName and NodePorts', () => {
  assert.equal(new NodeName().filter(state(), new PodInfo(pod('p', [], { nodeName: 'a' })), nodeWith(node('b'))).message(), "node(s) didn't match the requested node name");
  assert.equal(new NodeName().filter(state(), new PodInfo(pod('p', [], { nodeName: 'a' })), nodeWith(node('a'))).code, Code.Success);
  const withPort = (port: number, ip = '', protocol = 'TCP'): Pod => ({ metadata: { name: `p${port}${ip}${protocol}`, namespace: 'default' }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: port, hostIP: ip, protocol }] }] } });
  const np = new NodePorts();
  const cases: [Pod, Pod[], boolean][] = [
    [withPort(8080), [], true],
    [withPort(8080), [withPort(9090)], true],
    [withPort(8080), [withPort(8080)], false],
    [withPort(8080, '127.0.0.1'), [withPort(8080, '127.0.0.2')], true],
    [withPort(8080, '127.0.0.1'), [withPort(8080, '0.0.0.0')], false],
    [withPort(8080, '127.0.0.1', 'UDP'), [withPort(8080, '127.0.0.1', 'TCP')], true],
  ];
  for (const [p, existing, fits] of cases) {
    const s = np.filter(state(), new PodInfo(p), nodeWith(node('n'), ...existing));
    assert.equal(s.isSuccess(), fits, `${p.metadata.name} vs ${existing.map((e) => e.metadata.name).join(',')}`);
    if (!fits) assert.equal(s.message(), "node(s) didn't have free ports for the requested pod ports");
  }
});

test('NodeAffinity filter: nodeSelector, required terms, Gt/Lt, matchFields and PreFilter node names', () => {
  const na = new NodeAffinity();
  const labelled = nodeWith(node('n1', undefined, { metadata: { name: 'n1', labels: { foo: 'bar', zone: 'a', size: '5' } } }));
  const check = (spec: Partial<Pod['spec']>) => na.filter(state(), new PodInfo(pod('p', [], spec)), labelled);
  assert.equal(check({ nodeSelector: { foo: 'bar' } }).code, Code.Success);
  assert.equal(check({ nodeSelector: { foo: 'baz' } }).message(), "node(s) didn't match Pod's node affinity/selector");
  const req = (matchExpressions: unknown[], matchFields?: unknown[]) => ({
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions, matchFields } as never] } } },
  });
  assert.equal(check(req([{ key: 'size', operator: 'Gt', values: ['4'] }])).code, Code.Success);
  assert.equal(check(req([{ key: 'size', operator: 'Lt', values: ['4'] }])).code, Code.UnschedulableAndUnresolvable);
  assert.equal(check(req([{ key: 'zone', operator: 'NotIn', values: ['b'] }, { key: 'gpu', operator: 'DoesNotExist' }])).code, Code.Success);
  assert.equal(check(req([], [{ key: 'metadata.name', operator: 'In', values: ['n1'] }])).code, Code.Success);
  const pre = na.preFilter(state(), new PodInfo(pod('p', [], req([], [{ key: 'metadata.name', operator: 'In', values: ['n1', 'n2'] }]))));
  assert.deepEqual([...(pre.result?.nodeNames ?? [])], ['n1', 'n2']);
  assert.equal(na.preFilter(state(), new PodInfo(pod('p'))).status.code, Code.Skip);
});
