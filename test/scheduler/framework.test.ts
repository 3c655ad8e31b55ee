import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitErrorMessage, diagnosisAnnotation, DIAGNOSIS_MAX_NODES } from '../../src/scheduler/framework/fit-error.js';
import { NodeToStatus } from '../../src/scheduler/framework/node-to-status.js';
import { Status } from '../../src/scheduler/framework/status.js';
import { numFeasibleNodesToFind, selectHost } from '../../src/scheduler/schedule-one.js';
import { resolveProfile, parseConfiguration, resolveProfiles, parseDuration } from '../../src/scheduler/config/profile.js';
import { NodeInfo } from '../../src/scheduler/framework/node-info.js';

test('FitError message: reasons counted over nodes, sorted, with the preemption suffix', () => {
  const m = new NodeToStatus();
  m.set('n1', Status.unschedulable('Insufficient cpu'));
  m.set('n2', Status.unresolvable('node(s) had untolerated taint {k: v}'));
  m.set('n3', Status.unresolvable('node(s) had untolerated taint {k: v}'));
  assert.equal(fitErrorMessage(3, m), '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {k: v}.');
  assert.equal(
    fitErrorMessage(3, m, '', 'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.'),
    '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {k: v}. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..',
  );
  const multi = new NodeToStatus();
  multi.set('n1', Status.unschedulable('Insufficient cpu', 'Insufficient memory'));
  assert.equal(fitErrorMessage(1, multi), '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.');
  assert.equal(fitErrorMessage(2, new NodeToStatus(), "pod affinity terms conflict"), '0/2 nodes are available: pod affinity terms conflict.');
  const absent = new NodeToStatus();
  absent.absent = Status.unresolvable('Preemption is not helpful for scheduling');
  assert.equal(fitErrorMessage(5, absent), '0/5 nodes are available: 5 Preemption is not helpful for scheduling.');
});

test('diagnosis annotation is bounded', () => {
  const m = new NodeToStatus();
  for (let i = 0; i < 200; i++) m.set(`node-${String(i).padStart(3, '0')}`, Status.unschedulable('Insufficient cpu').withPlugin('NodeResourcesFit'));
  const d = JSON.parse(diagnosisAnnotation(m, 300)) as Record<string, string>;
  assert.equal(Object.keys(d).length, DIAGNOSIS_MAX_NODES + 1);
  assert.equal(d['node-000'], 'NodeResourcesFit: Insufficient cpu');
  assert.equal(d['...'], '250 more node(s) not listed');
});

test('numFeasibleNodesToFind as upstream', () => {
  assert.equal(numFeasibleNodesToFind(undefined, 10), 10);
  assert.equal(numFeasibleNodesToFind(undefined, 99), 99);
  assert.equal(numFeasibleNodesToFind(undefined, 100), 100);
  assert.equal(numFeasibleNodesToFind(undefined, 1000), 420); // 50 - 1000/125 = 42%
  assert.equal(numFeasibleNodesToFind(undefined, 5000), 500); // 10%
  assert.equal(numFeasibleNodesToFind(undefined, 6000), 300); // 5% floor (50 - 48 = 2 → 5)
  assert.equal(numFeasibleNodesToFind(40, 1000), 400);
  assert.equal(numFeasibleNodesToFind(1, 1000), 100); // never below 100
  assert.equal(numFeasibleNodesToFind(100, 5000), 5000);
});

test('selectHost picks the top score and breaks ties evenly', () => {
  const nodes = ['a', 'b', 'c'].map((n) => new NodeInfo({ metadata: { name: n } }));
  assert.equal(selectHost(nodes, [1, 5, 3]), 'b');
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) seen.add(selectHost(nodes, [7, 7, 1]));
  assert.deepEqual([...seen].sort(), ['a', 'b']);
});

test('configuration: default plugins and weights, enable/disable, pluginConfig', () => {
  const d = resolveProfile();
  assert.deepEqual(
    d.plugins.score.map((p) => `${p.name}:${p.weight}`),
    ['TaintToleration:3', 'NodeAffinity:2', 'NodeResourcesFit:1', 'PodTopologySpread:2', 'InterPodAffinity:2', 'NodeResourcesBalancedAllocation:1'],
  );
  assert.deepEqual(d.plugins.filter.map((p) => p.name), ['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'VolumeBinding', 'PodTopologySpread', 'InterPodAffinity']);
  const cfg = parseConfiguration(`
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
percentageOfNodesToScore: 30
profiles:
- schedulerName: default-scheduler
  plugins:
    score:
      disabled:
      - name: NodeResourcesBalancedAllocation
      enabled:
      - name: NodeResourcesFit
        weight: 5
    multiPoint:
      disabled:
      - name: InterPodAffinity
      - name: VolumeBinding
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
- schedulerName: bin-packer
  plugins:
    score:
      disabled:
      - name: '*'
`);
  const [a, b] = resolveProfiles(cfg);
  assert.deepEqual(a!.plugins.score.map((p) => `${p.name}:${p.weight}`), ['TaintToleration:3', 'NodeAffinity:2', 'PodTopologySpread:2', 'NodeResourcesFit:5']);
  assert.equal(a!.plugins.filter.some((p) => p.name === 'InterPodAffinity'), false);
  assert.deepEqual(a!.pluginArgs.get('NodeResourcesFit'), { scoringStrategy: { type: 'MostAllocated' } });
  assert.equal(b!.schedulerName, 'bin-packer');
  assert.deepEqual(b!.plugins.score, []);
  assert.throws(() => resolveProfile({ plugins: { filter: { enabled: [{ name: 'NoSuchPlugin' }] } } }), /plugin "NoSuchPlugin" does not exist/);
  assert.throws(() => parseConfiguration('kind: KubeSchedulerConfiguration\nprofiles:\n- {}\n- {}\n'), /Duplicate value/);
  assert.equal(parseDuration('1m30s', 0), 90_000);
});
