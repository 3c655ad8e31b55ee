import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { kubectlOk } from '../helpers/kubectl.js';
import { startEnv, eventually, eventsFor, NODES, LEASES } from './harness.js';

test('node registers with capacity, nodeInfo, addresses, conditions and events; lease renews', async () => {
  const env = await startEnv({ podCIDR: '10.244.1.0/24', nodeLabels: { 'topology.kubernetes.io/zone': 'z1' } });
  try {
    const node = await eventually(() => env.client.get<any>(NODES, undefined, 'node-1'));
    const l = node.metadata.labels;
    assert.equal(l['kubernetes.io/hostname'], 'node-1');
    assert.equal(l['kubernetes.io/os'], 'linux');
    assert.equal(l['kubernetes.io/arch'], process.arch === 'x64' ? 'amd64' : process.arch);
    assert.equal(l['beta.kubernetes.io/os'], 'linux');
    assert.equal(l['topology.kubernetes.io/zone'], 'z1');
    assert.deepEqual(node.spec.podCIDRs, ['10.244.1.0/24']);
    const st = node.status;
    assert.equal(st.capacity.cpu, String(os.cpus().length));
    const memKi = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);
    assert.equal(st.capacity.memory, `${memKi}Ki`);
    assert.equal(st.capacity.pods, '110');
    assert.match(st.capacity['ephemeral-storage'], /^\d+Ki$/);
    assert.equal(st.nodeInfo.containerRuntimeVersion, 'fake://0.1.0');
    assert.equal(st.nodeInfo.kubeletVersion, 'v1.32.4+k8ts');
    assert.equal(st.nodeInfo.operatingSystem, 'linux');
    assert.equal(st.nodeInfo.kernelVersion, os.release());
    assert.ok(st.nodeInfo.osImage.length > 0);
    assert.deepEqual(st.addresses, [
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: 'node-1' },
    ]);
    assert.equal(st.daemonEndpoints.kubeletEndpoint.Port, env.kubelet.port);
    const byType = Object.fromEntries(st.conditions.map((c: any) => [c.type, c]));
    assert.equal(byType.Ready.status, 'True');
    assert.equal(byType.Ready.reason, 'KubeletReady');
    assert.equal(byType.Ready.message, 'kubelet is posting ready status');
    assert.equal(byType.MemoryPressure.reason, 'KubeletHasSufficientMemory');
    assert.equal(byType.DiskPressure.reason, 'KubeletHasNoDiskPressure');
    assert.equal(byType.PIDPressure.reason, 'KubeletHasSufficientPID');

    const reasons = await eventually(async () => {
      const evs = await eventsFor(env.client, 'node-1', 'Node');
      const r = evs.map((e) => e.reason);
      return ['Starting', 'NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID', 'NodeReady'].every((x) => r.includes(x)) ? evs : undefined;
    });
    const ready = reasons.find((e: any) => e.reason === 'NodeReady');
    assert.equal(ready.message, 'Node node-1 status is now: NodeReady');
    assert.equal(ready.source.component, 'kubelet');
    assert.equal(ready.source.host, 'node-1');

    const lease1 = await eventually(() => env.client.get<any>(LEASES, 'kube-node-lease', 'node-1'));
    assert.equal(lease1.spec.holderIdentity, 'node-1');
    assert.equal(lease1.spec.leaseDurationSeconds, 40);
    const lease2 = await eventually(async () => {
      const l2 = await env.client.get<any>(LEASES, 'kube-node-lease', 'node-1');
      return l2.spec.renewTime !== lease1.spec.renewTime && l2.metadata.ownerReferences?.[0]?.uid === node.metadata.uid ? l2 : undefined;
    });
    assert.equal(lease2.metadata.ownerReferences[0].kind, 'Node');

    const out = await kubectlOk(env.server.kubeconfig, ['get', 'nodes']);
    assert.match(out, /node-1\s+Ready\s+<none>\s+\S+\s+v1\.32\.4\+k8ts/);
    const desc = await kubectlOk(env.server.kubeconfig, ['describe', 'node', 'node-1']);
    assert.match(desc, /Container Runtime Version:\s+fake:\/\/0\.1\.0/);
    assert.match(desc, /Ready\s+True .* KubeletReady\s+kubelet is posting ready status/);
  } finally {
    await env.close();
  }
});

test('a Ready condition someone else set to Unknown is put right on the next status update', async () => {
  const env = await startEnv();
  try {
    const node = await eventually(async () => {
      const n = await env.client.get<any>(NODES, undefined, 'node-1');
      return n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
    });
    // What the node lifecycle controller writes when heartbeats are late.
    const conditions = node.status.conditions.map((c: any) => (c.type === 'Ready' ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' } : c));
    await env.client.patch(NODES, undefined, 'node-1', 'strategic', { status: { conditions } }, { subresource: 'status' });
    const back = await eventually(async () => {
      const n = await env.client.get<any>(NODES, undefined, 'node-1');
      const ready = n.status.conditions.find((c: any) => c.type === 'Ready');
      return ready.status === 'True' ? ready : undefined;
    });
    assert.equal(back.reason, 'KubeletReady');
  } finally {
    await env.close();
  }
});
