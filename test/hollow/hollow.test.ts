// Hollow nodes against a real API server: they register, renew their
// Leases, run bound pods through the same phases as a real kubelet, and can
// be stopped and started again through the control API.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { RestClient } from '../../src/client/rest.js';
import type { KubeObject } from '../../src/api/types.js';
import type { Node, Pod } from '../../src/kubelet/api-types.js';
import { HollowCluster } from '../../src/hollow/harness.js';
import { startControlServer, type ControlServer } from '../../src/hollow/control.js';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';

const NODES = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true };
type Lease = KubeObject & { spec?: { renewTime?: string; holderIdentity?: string; leaseDurationSeconds?: number } };

async function until<T>(fn: () => Promise<T | undefined | false>): Promise<T> {
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    await sleep(50);
  }
}

describe('hollow nodes', () => {
  let server: TestServer;
  let cluster: HollowCluster;
  let control: ControlServer;
  let client: RestClient;
  let dir: string;

  before(async () => {
    server = await startTestServer({ secure: true });
    dir = await mkdtemp(join(tmpdir(), 'k8ts-hollow-test-'));
    cluster = new HollowCluster({ clientConfig: loadKubeconfig(server.kubeconfig), count: 3, namePrefix: 'hollow-t-', leaseDurationSeconds: 4, rootDir: dir });
    control = await startControlServer(cluster);
    await cluster.start();
    client = new RestClient(loadKubeconfig(server.kubeconfig));
  });

  after(async () => {
    client?.close();
    await control?.close();
    await cluster?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('registers every node as Ready with a Lease', async () => {
    for (let i = 0; i < 3; i++) {
      const name = `hollow-t-${i}`;
      const node = await until(() => client.get<Node>(NODES, undefined, name));
      assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
      assert.equal(node.status?.nodeInfo?.containerRuntimeVersion?.startsWith('fake://'), true);
      assert.equal(node.metadata.labels?.['node.k8ts.io/hollow'], 'true');
      const lease = await until(() => client.get<Lease>(LEASES, 'kube-node-lease', name));
      assert.equal(lease.spec?.holderIdentity, name);
      assert.equal(lease.spec?.leaseDurationSeconds, 4);
    }
  });

  it('runs a bound pod to Running with the status fields of a real kubelet', async () => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'hollow-pod', namespace: 'default' },
      spec: { nodeName: 'hollow-t-1', automountServiceAccountToken: false, containers: [{ name: 'app', image: 'nginx:1.27', command: ['sleep', 'infinity'] }] },
    };
    // No controller manager here: the service account admission wants the default account to exist.
    await client.create({ group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true }, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } }).catch(() => undefined);
    await client.create(PODS, 'default', pod);
    const running = await until(async () => {
      const p = await client.get<Pod>(PODS, 'default', 'hollow-pod');
      return p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready ? p : undefined;
    });
    const cs = running.status!.containerStatuses![0]!;
    assert.ok(cs.state.running?.startedAt);
    assert.match(cs.containerID ?? '', /^fake:\/\//);
    assert.match(running.status!.podIP ?? '', /^100\.(6[4-9]|[78]\d|9[0-5])\./);
    assert.equal(running.status!.hostIP, '100.96.0.2');
    assert.deepEqual(running.status!.conditions!.filter((c) => c.status === 'True').map((c) => c.type).sort(), ['ContainersReady', 'Initialized', 'PodReadyToStartContainers', 'PodScheduled', 'Ready']);
    const listed = (await (await fetch(`http://127.0.0.1:${control.port}/nodes`)).json()) as { nodes: { name: string; pods: number; state: string }[] };
    assert.equal(listed.nodes.find((n) => n.name === 'hollow-t-1')?.pods, 1);
  });

  it('an idle node runs only its node agent; its first pod starts the kubelet, which the Node never sees restart', async () => {
    assert.equal(cluster.nodes.get('hollow-t-0')!.isIdle, true, 'no pod: no kubelet');
    assert.equal(cluster.nodes.get('hollow-t-1')!.isIdle, false, 'its pod woke it');
    const EVENTS = { group: '', version: 'v1', resource: 'events', namespaced: true };
    type Ev = KubeObject & { reason?: string; count?: number; involvedObject?: { kind?: string; name?: string } };
    const starts = async (node: string): Promise<number> =>
      (await client.list<Ev>(EVENTS, 'default')).items.filter((e) => e.reason === 'Starting' && e.involvedObject?.kind === 'Node' && e.involvedObject.name === node).reduce((n, e) => n + (e.count ?? 1), 0);
    await until(async () => (await starts('hollow-t-1')) >= 1);
    await sleep(1500); // the recorder batches: a second start would have been posted by now
    assert.equal(await starts('hollow-t-1'), 1, 'one "Starting kubelet." for a node that woke up');
    // A node restarted with pods in its runtime starts its kubelet at once, and keeps the pod running.
    await cluster.stopNode('hollow-t-1');
    await cluster.startNode('hollow-t-1');
    assert.equal(cluster.nodes.get('hollow-t-1')!.isIdle, false);
    const p = await client.get<Pod>(PODS, 'default', 'hollow-pod');
    assert.equal(p.status?.phase, 'Running');
  });

  it('an idle node puts back a condition someone else changed, read from the shared Node watch instead of a GET', async () => {
    const name = 'hollow-t-2';
    assert.equal(cluster.nodes.get(name)!.isIdle, true);
    const nodeGets = (): number => gets;
    let gets = 0;
    const send = cluster.client.transport.send.bind(cluster.client.transport);
    cluster.client.transport.send = (...a: Parameters<typeof send>) => {
      if (a[0] === 'GET' && a[1].startsWith(`/api/v1/nodes/${name}`)) gets++;
      return send(...a);
    };
    try {
      // What the node lifecycle controller writes when a heartbeat is late.
      const node = await client.get<Node>(NODES, undefined, name);
      const conditions = node.status!.conditions!.map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown' as const, reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' } : c));
      const changed = await client.patch<Node>(NODES, undefined, name, 'merge', { status: { conditions } }, { subresource: 'status' });
      const ready = new Promise<void>((resolve) => {
        const w = client.watch<Node>(NODES, undefined, { fieldSelector: `metadata.name=${name}`, resourceVersion: changed.metadata.resourceVersion }, (ev) => {
          if (ev.object.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True') {
            w.stop();
            resolve();
          }
        });
      });
      // The status period is 10 s; a bound keeps a broken fleet from hanging the suite.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('Ready was not put back within 60 s')), 60_000)));
      await Promise.race([ready, late]).finally(() => clearTimeout(timer));
      assert.equal(nodeGets(), 0, 'an idle node reads its Node from the watch');
    } finally {
      cluster.client.transport.send = send;
    }
  });

  it('stops a node (its Lease goes stale) and starts it again', async () => {
    const stop = await fetch(`http://127.0.0.1:${control.port}/nodes/hollow-t-2/stop`, { method: 'POST' });
    assert.equal(stop.status, 200);
    assert.equal(((await stop.json()) as { state: string }).state, 'stopped');
    const frozen = (await client.get<Lease>(LEASES, 'kube-node-lease', 'hollow-t-2')).spec?.renewTime;
    // Another node keeps renewing meanwhile (renewals every second with a 4 s lease).
    const other = (await client.get<Lease>(LEASES, 'kube-node-lease', 'hollow-t-0')).spec?.renewTime;
    await until(async () => (await client.get<Lease>(LEASES, 'kube-node-lease', 'hollow-t-0')).spec?.renewTime !== other);
    assert.equal((await client.get<Lease>(LEASES, 'kube-node-lease', 'hollow-t-2')).spec?.renewTime, frozen);
    const start = await fetch(`http://127.0.0.1:${control.port}/nodes/hollow-t-2/start`, { method: 'POST' });
    assert.equal(((await start.json()) as { state: string }).state, 'running');
    await until(async () => (await client.get<Lease>(LEASES, 'kube-node-lease', 'hollow-t-2')).spec?.renewTime !== frozen);
    assert.equal((await fetch(`http://127.0.0.1:${control.port}/nodes/nope/stop`, { method: 'POST' })).status, 404);
  });

  it('changes every node\'s Lease duration and renewal interval through the control API', async () => {
    const put = (body: string): Promise<Response> => fetch(`http://127.0.0.1:${control.port}/leases`, { method: 'PUT', body });
    for (const bad of ['{', '{"leaseDurationSeconds": 0}', '{"leaseDurationSeconds": 2.5}', '{"leaseDurationSeconds": "8"}', 'null']) {
      const r = await put(bad);
      assert.equal(r.status, 400, bad);
      assert.match(((await r.json()) as { error: string }).error, /JSON|leaseDurationSeconds/, bad);
    }
    const ok = await put('{"leaseDurationSeconds": 8}');
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { leaseDurationSeconds: 8, renewEveryMs: 2000 });
    // Every node's next renewal writes the new duration.
    for (let i = 0; i < 3; i++) await until(async () => (await client.get<Lease>(LEASES, 'kube-node-lease', `hollow-t-${i}`)).spec?.leaseDurationSeconds === 8);
    const before = (await client.get<Lease>(LEASES, 'kube-node-lease', 'hollow-t-1')).spec?.renewTime;
    await until(async () => (await client.get<Lease>(LEASES, 'kube-node-lease', 'hollow-t-1')).spec?.renewTime !== before);
    // Back to the suite's 4 s, which the kubelet-server suite below does not share.
    assert.equal((await put('{"leaseDurationSeconds": 4}')).status, 200);
    for (let i = 0; i < 3; i++) await until(async () => (await client.get<Lease>(LEASES, 'kube-node-lease', `hollow-t-${i}`)).spec?.leaseDurationSeconds === 4);
  });
});

describe('hollow kubelet servers behind a secure API server', () => {
  let server: TestServer;
  let cluster: HollowCluster;
  let client: RestClient;
  let dir: string;

  before(async () => {
    server = await startTestServer({ secure: true });
    dir = await mkdtemp(join(tmpdir(), 'k8ts-hollow-tls-'));
    // This API server checks kubelets' certificates against the cluster CA: the hollow servers present one it issued,
    // as real kubelets do (a self-signed pair is the default, for API servers that do not check).
    const { loopbackNodeAddress } = await import('../../src/hollow/addresses.js');
    const servingTls = await server.kubeletTls('hollow-nodes', [0, 1].map(loopbackNodeAddress));
    cluster = new HollowCluster({ clientConfig: loadKubeconfig(server.kubeconfig), count: 2, namePrefix: 'hollow-s-', rootDir: dir, kubeletServers: true, servingTls });
    await cluster.start();
    client = new RestClient(loadKubeconfig(server.kubeconfig));
  });

  after(async () => {
    client?.close();
    await cluster?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a Lease duration change through the control API: each kubelet renews its own', async () => {
    const control = await startControlServer(cluster);
    try {
      const r = await fetch(`http://127.0.0.1:${control.port}/leases`, { method: 'PUT', body: '{"leaseDurationSeconds": 4}' });
      assert.equal(r.status, 409);
      assert.match(((await r.json()) as { error: string }).error, /--lease-duration/);
    } finally {
      await control.close();
    }
  });

  it('serve HTTPS to the API server only; kubectl logs and exec give the fake runtime\'s answers', async () => {
    // Without a certificate of its own a hollow server presents a self-signed pair that still checks clients.
    const { hollowServingTls } = await import('../../src/hollow/serving-tls.js');
    const self = (await hollowServingTls(loadKubeconfig(server.kubeconfig), 2))!;
    assert.equal(self.clientCaPem, server.pki!.caCertPem);
    assert.match(self.certPem, /^(-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\s*){2}$/);

    const node = await until(async () => {
      const n = await client.get<Node>(NODES, undefined, 'hollow-s-1');
      return n.status?.daemonEndpoints?.kubeletEndpoint?.Port ? n : undefined;
    });
    const ip = node.status!.addresses!.find((a) => a.type === 'InternalIP')!.address;
    const port = node.status!.daemonEndpoints!.kubeletEndpoint!.Port;
    // TLS, and a client without the API server's certificate is turned away as by a real kubelet.
    const https = await import('node:https');
    const anon = await new Promise<number>((resolve, reject) => {
      https.get({ host: ip, port, path: '/containerLogs/default/talky/app', rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    assert.equal(anon, 401);

    await client.create({ group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true }, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
    await client.create(PODS, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'talky', namespace: 'default' },
      spec: { nodeName: 'hollow-s-1', automountServiceAccountToken: false, containers: [{ name: 'app', image: 'nginx:1.27', command: ['sleep', 'infinity'] }] },
    });
    await until(async () => (await client.get<Pod>(PODS, 'default', 'talky')).status?.phase === 'Running');
    const { kubectl, kubectlOk } = await import('../helpers/kubectl.js');
    assert.match(await kubectlOk(server.kubeconfig, ['logs', 'talky']), /^fake container app started \(image \S*nginx:1\.27, attempt 0\)\n$/);
    assert.equal((await kubectl(server.kubeconfig, ['exec', 'talky', '--', 'true'])).code, 0);
    const failed = await kubectl(server.kubeconfig, ['exec', 'talky', '--', 'sh', '-c', 'exit 3']);
    assert.equal(failed.code, 3, failed.stderr);
    assert.match(failed.stderr, /command terminated with exit code 3/);
  });
});
