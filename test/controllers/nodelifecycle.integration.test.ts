import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, fastOptions, until, getOrUndefined, type Cluster } from './helpers.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import { nowMicroTime, nowTimestamp, type KubeObject } from '../../src/api/types.js';
import type { Node, Pod, Lease } from '../../src/controllers/nodelifecycle/types.js';

const NODES = resourceFor('', 'v1', 'nodes')!;
const PODS = resourceFor('', 'v1', 'pods')!;
const LEASES = resourceFor('coordination.k8s.io', 'v1', 'leases')!;
const EVENTS = resourceFor('', 'v1', 'events')!;
const NS = 'default';

let c: Cluster;
let renewer: NodeJS.Timeout;
const alive = new Set<string>();

before(async () => {
  c = await startCluster({
    controllers: ['nodelifecycle', 'taint-eviction-controller'],
    options: fastOptions({ nodeMonitorGracePeriod: 2, nodeMonitorPeriod: 0.2, nodeEvictionRate: 10 }),
  });
  // The test plays the kubelets: renew the Lease of every node that is "alive".
  renewer = setInterval(() => {
    for (const name of alive) void renewLease(name).catch(() => undefined);
  }, 250);
});

after(async () => {
  clearInterval(renewer);
  await c.close();
});

async function renewLease(name: string): Promise<void> {
  const lease = await c.client.get<Lease>(LEASES, 'kube-node-lease', name);
  await c.client.update(LEASES, 'kube-node-lease', { ...lease, spec: { ...lease.spec, renewTime: nowMicroTime() } });
}

function readyStatus(): Node['status'] {
  const now = nowTimestamp();
  return { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }] };
}

async function node(name: string): Promise<void> {
  await c.client.create<Node>(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'topology.kubernetes.io/zone': 'z1' } }, status: readyStatus() });
  await c.client.create<Lease>(LEASES, 'kube-node-lease', {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: nowMicroTime() },
  });
  alive.add(name);
}

async function pod(name: string, nodeName: string, tolerationSeconds?: number): Promise<void> {
  const toleration: Record<string, unknown> = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' };
  if (tolerationSeconds !== undefined) toleration.tolerationSeconds = tolerationSeconds;
  await c.client.create<Pod>(PODS, NS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeName, tolerations: [toleration], containers: [{ name: 'c', image: 'pause' }] } as Pod['spec'],
  });
  const p = await c.client.get<Pod>(PODS, NS, name);
  await c.client.updateStatus(PODS, NS, { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: nowTimestamp() }] } });
}

const getNode = (name: string): Promise<Node> => c.client.get<Node>(NODES, undefined, name);
const getPod = (name: string): Promise<Pod | undefined> => getOrUndefined(() => c.client.get<Pod>(PODS, NS, name));

async function events(reason: string): Promise<(KubeObject & { involvedObject?: { kind?: string; name?: string }; message?: string; source?: { component?: string } })[]> {
  const list = await c.client.list<KubeObject & { reason?: string }>(EVENTS, NS);
  return list.items.filter((e) => e.reason === reason);
}

test('a node that stops renewing its lease goes Unknown, is tainted, its pods evicted; it recovers when it reports again', async () => {
  await node('n-healthy');
  await node('n-lost');
  await pod('evict-now', 'n-lost', 0);
  await pod('evict-later', 'n-lost', 3);
  await pod('stay-forever', 'n-lost');
  await pod('elsewhere', 'n-healthy', 0);

  await until(async () => (await events('RegisteredNode')).some((e) => e.involvedObject?.name === 'n-lost'), 'RegisteredNode event');
  alive.delete('n-lost');

  const lost = await until(async () => {
    const n = await getNode('n-lost');
    return n.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'Unknown' ? n : undefined;
  }, 'Ready=Unknown');
  const ready = lost.status!.conditions!.find((x) => x.type === 'Ready')!;
  assert.equal(ready.reason, 'NodeStatusUnknown');
  assert.equal(ready.message, 'Kubelet stopped posting node status.');
  for (const t of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) {
    const cond = lost.status!.conditions!.find((x) => x.type === t)!;
    assert.equal(cond.status, 'Unknown');
    assert.equal(cond.reason, 'NodeStatusNeverUpdated');
  }

  const tainted = await until(async () => {
    const n = await getNode('n-lost');
    const keys = (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();
    return keys.length === 2 ? keys : undefined;
  }, 'unreachable taints');
  assert.deepEqual(tainted, ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);

  const nodeNotReady = await until(async () => (await events('NodeNotReady')).find((e) => e.involvedObject?.kind === 'Node'), 'NodeNotReady event');
  assert.equal(nodeNotReady.message, 'Node n-lost status is now: NodeNotReady');
  assert.equal(nodeNotReady.source?.component, 'node-controller');

  // Pods on the lost node are marked NotReady; the untolerating one goes at once, the other after its tolerationSeconds.
  await until(async () => (await getPod('stay-forever'))?.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'False', 'pod marked NotReady');
  const evicted = await until(async () => {
    const p = await getPod('evict-now');
    return p === undefined || p.metadata.deletionTimestamp ? (p ?? true) : undefined;
  }, 'evict-now deleted');
  if (evicted !== true) {
    const dt = (evicted as Pod).status?.conditions?.find((x) => x.type === 'DisruptionTarget');
    assert.equal(dt?.reason, 'DeletionByTaintManager');
  }
  await until(async () => {
    const p = await getPod('evict-later');
    return p === undefined || !!p.metadata.deletionTimestamp;
  }, 'evict-later deleted after its toleration');
  const marking = await until(async () => (await events('TaintManagerEviction')).find((e) => e.message === 'Marking for deletion Pod default/evict-later'), 'TaintManagerEviction event');
  assert.equal(marking.source?.component, 'taint-eviction-controller');
  const forever = await getPod('stay-forever');
  assert.ok(forever && !forever.metadata.deletionTimestamp, 'a pod tolerating the taint forever stays');
  const elsewhere = await getPod('elsewhere');
  assert.ok(elsewhere && !elsewhere.metadata.deletionTimestamp, 'pods on healthy nodes are untouched');

  // The kubelet comes back: renews its lease and posts Ready=True.
  alive.add('n-lost');
  const n = await getNode('n-lost');
  await c.client.updateStatus(NODES, undefined, { ...n, status: readyStatus() });
  await until(async () => ((await getNode('n-lost')).spec?.taints ?? []).length === 0, 'taints removed');
  const back = await getNode('n-lost');
  assert.equal(back.status?.conditions?.find((x) => x.type === 'Ready')?.status, 'True');
});
