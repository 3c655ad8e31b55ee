import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../helpers/apiserver.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { RestClient } from '../../src/client/rest.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { HollowCluster } from '../../src/hollow/harness.js';
import { startScheduler } from '../../src/cmd/scheduler.js';
import { PODS } from '../../src/scheduler/api.js';
import type { Pod } from '../../src/scheduler/framework/types.js';
import { waitFor } from './harness.js';

// The scheduler with hollow nodes: real kubelets (over a fake runtime)
// register their Nodes and report allocatable; the scheduler places pods by
// those figures, the kubelets run them, and a pod that fits nowhere waits
// until pods are deleted and their room is free again.

const pod = (name: string, cpu: string) => `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: default, labels: { app: hollow } }
spec:
  # No controller-manager publishes kube-root-ca.crt here, so no token volume to mount.
  automountServiceAccountToken: false
  containers: [{ name: c, image: busybox, resources: { requests: { cpu: ${cpu}, memory: 100Mi } } }]
`;

test('hollow nodes: pods placed by the resources kubelets report, run, and a waiting pod placed once room is freed', async () => {
  const server = await startTestServer({ secure: true });
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-sched-hollow-'));
  const admin = new RestClient(loadKubeconfig(server.kubeconfig), { qps: 1000, burst: 1000 });
  const cluster = new HollowCluster({ clientConfig: loadKubeconfig(server.kubeconfig), count: 3, namePrefix: 'hn-', rootDir: dir, capacity: { cpu: '2', memory: '4Gi', pods: '110' } });
  await cluster.start();
  const sched = await startScheduler({ kubeconfig: await server.kubeconfigFor('system:kube-scheduler'), leaderElect: false, qps: 1000, burst: 1000 });
  const k = (args: string[], input?: string) => kubectlOk(server.kubeconfig, args, { input });
  try {
    await k(['create', 'serviceaccount', 'default']).catch(() => undefined);
    await waitFor('three Ready hollow nodes', async () => (await k(['get', 'nodes', '--no-headers'])).split('\n').filter((l) => /\sReady\s/.test(l)).length === 3);
    await k(['apply', '-f', '-'], Array.from({ length: 6 }, (_, i) => pod(`p${i}`, '600m')).join('---\n'));
    let seen = '';
    const running = await waitFor('six pods Running', async () => {
      const l = await admin.list<Pod>(PODS, 'default', { labelSelector: 'app=hollow' });
      seen = l.items.map((p) => `${p.metadata.name}@${p.spec.nodeName ?? '-'}:${p.status?.phase}`).join(' ');
      return l.items.length === 6 && l.items.every((p) => p.status?.phase === 'Running') ? l.items : undefined;
    }).catch((err: Error) => {
      throw new Error(`${err.message}; last seen: ${seen}`);
    });
    const perNode = new Map<string, number>();
    for (const p of running) perNode.set(p.spec.nodeName!, (perNode.get(p.spec.nodeName!) ?? 0) + 1);
    assert.deepEqual([...perNode.keys()].sort(), ['hn-0', 'hn-1', 'hn-2']);
    for (const [n, count] of perNode) assert.ok(count <= 3, `${n} got ${count} pods: more than its share + 1`);

    // 1500m fits on no node now (each has at most 2 - 0.6 = 1.4 cpu left).
    await k(['apply', '-f', '-'], pod('big', '1500m').replace('app: hollow', 'app: big'));
    const msg = await waitFor('big reported unschedulable', async () => (await admin.get<Pod>(PODS, 'default', 'big')).status?.conditions?.find((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable')?.message);
    assert.match(msg, /^0\/3 nodes are available: 3 Insufficient cpu\./);

    // Empty one node: the kubelet finishes the deletions, the scheduler hears of them and places big there.
    const target = running[0]!.spec.nodeName!;
    const onTarget = running.filter((p) => p.spec.nodeName === target).map((p) => p.metadata.name!);
    await k(['delete', 'pod', ...onTarget, '--wait=false']);
    const placed = await waitFor('big bound', async () => (await admin.get<Pod>(PODS, 'default', 'big')).spec.nodeName);
    assert.equal(placed, target);
    await waitFor('big Running', async () => (await admin.get<Pod>(PODS, 'default', 'big')).status?.phase === 'Running');
  } finally {
    await sched.stop();
    await cluster.close();
    admin.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
