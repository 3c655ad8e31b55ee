import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, eventually, listPods, markPodReady, type Harness } from './harness.js';
import { daemonSetController } from '../../../src/controllers/daemonset/controller.js';
import { targetNodeName } from '../../../src/controllers/daemonset/placement.js';
import { CONTROLLERREVISIONS, DAEMONSETS, NODES } from '../../../src/controllers/shared/resources.js';
import type { DaemonSet } from '../../../src/controllers/daemonset/types.js';
import type { Node, Pod } from '../../../src/controllers/shared/types.js';

const DS = `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent, namespace: default }
spec:
  selector: { matchLabels: { app: agent } }
  template:
    metadata: { labels: { app: agent } }
    spec:
      containers: [{ name: agent, image: busybox }]
`;

const node = (name: string, extra: Partial<Node> = {}): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, ...extra });

describe('DaemonSet controller against a real API server', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness([daemonSetController]);
    for (const n of ['n1', 'n2']) await h.client.create(NODES, undefined, node(n));
  });
  after(async () => {
    await h?.close();
  });

  const live = async (): Promise<Pod[]> => (await listPods(h, 'default', 'app=agent')).filter((p) => !p.metadata.deletionTimestamp);
  const nodesOf = async (): Promise<string[]> => (await live()).map((p) => targetNodeName(p.spec) ?? '?').sort();
  const getDs = () => h.client.get<DaemonSet>(DAEMONSETS, 'default', 'agent');

  test('one pod per node, pinned by node affinity, with the daemon tolerations', async () => {
    await h.k(['apply', '-f', '-'], DS);
    await eventually('pods on n1 and n2', async () => JSON.stringify(await nodesOf()) === '["n1","n2"]');
    const ds = await getDs();
    for (const p of await live()) {
      assert.match(p.metadata.name!, /^agent-[a-z0-9]{5}$/);
      assert.equal(p.metadata.ownerReferences?.[0]?.uid, ds.metadata.uid);
      assert.equal(p.spec?.nodeName, undefined, 'left for the scheduler to bind');
      const terms = p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
      assert.deepEqual(terms, [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [targetNodeName(p.spec)] }] }]);
      const keys = (p.spec?.tolerations ?? []).map((t) => `${t.key}:${t.effect}`);
      for (const k of ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/disk-pressure:NoSchedule', 'node.kubernetes.io/memory-pressure:NoSchedule', 'node.kubernetes.io/pid-pressure:NoSchedule', 'node.kubernetes.io/unschedulable:NoSchedule']) {
        assert.ok(keys.includes(k), `missing toleration ${k}`);
      }
      assert.ok(p.metadata.labels?.['controller-revision-hash']);
    }
    const revs = await h.client.list(CONTROLLERREVISIONS, 'default');
    assert.equal(revs.items.length, 1);
    assert.equal((revs.items[0] as { revision?: number }).revision, 1);
  });

  test('status counts, and rollout status once pods are ready', async () => {
    for (const p of await live()) await markPodReady(h, p);
    await eventually('status', async () => {
      const s = (await getDs()).status;
      return s?.desiredNumberScheduled === 2 && s.currentNumberScheduled === 2 && s.numberReady === 2 && s.numberAvailable === 2 && s.updatedNumberScheduled === 2;
    });
    assert.match(await h.k(['rollout', 'status', 'daemonset/agent']), /daemon set "agent" successfully rolled out/);
  });

  test('follows nodes: added, tainted NoSchedule, deleted', async () => {
    await h.client.create(NODES, undefined, node('n3'));
    await eventually('pod on n3', async () => (await nodesOf()).includes('n3'));
    // A NoSchedule taint keeps new pods off but lets the running one stay.
    await h.client.create(NODES, undefined, node('n4', { spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } }));
    await h.k(['taint', 'node', 'n3', 'dedicated=db:NoSchedule']);
    // A NoExecute taint evicts the daemon.
    await h.k(['taint', 'node', 'n2', 'dedicated=db:NoExecute']);
    await eventually('n1 and n3 only', async () => JSON.stringify(await nodesOf()) === '["n1","n3"]');
    await h.k(['delete', 'node', 'n3']);
    await eventually('n1 only', async () => JSON.stringify(await nodesOf()) === '["n1"]');
    await h.k(['taint', 'node', 'n2', 'dedicated=db:NoExecute-']);
    await eventually('back on n2', async () => JSON.stringify(await nodesOf()) === '["n1","n2"]');
  });

  test('a template change rolls pods to a new ControllerRevision, one node at a time', async () => {
    for (const p of await live()) if (p.status?.phase !== 'Running') await markPodReady(h, p);
    await h.k(['set', 'image', 'daemonset/agent', 'agent=busybox:2']);
    await eventually('all pods updated', async () => {
      const ps = await live();
      const old = ps.filter((p) => p.spec?.containers?.[0]?.image !== 'busybox:2');
      const notReady = ps.filter((p) => p.status?.phase !== 'Running');
      // maxUnavailable 1: of the two nodes, at most one lacks a ready pod.
      assert.ok(2 - ps.filter((p) => p.status?.phase === 'Running').length <= 1, 'more than maxUnavailable nodes without a ready daemon');
      for (const p of notReady) await markPodReady(h, p);
      return ps.length === 2 && old.length === 0 && notReady.length === 0;
    });
    const revs = (await h.client.list<{ revision?: number } & Node>(CONTROLLERREVISIONS, 'default')).items;
    assert.deepEqual(revs.map((r) => r.revision).sort(), [1, 2]);
    const hist = await h.k(['rollout', 'history', 'daemonset/agent']);
    assert.match(hist, /^1\s/m);
    assert.match(hist, /^2\s/m);
    await eventually('rolled out', async () => (await h.kRaw(['rollout', 'status', 'daemonset/agent', '--watch=false'])).stdout.includes('successfully rolled out'));
  });
});
