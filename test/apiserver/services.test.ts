// Service IP and node port allocation as upstream's service registry: driven
// through @kubernetes/client-node and the real kubectl against a real API
// server over SQLite; restarts reuse the same store.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { openStore } from '../../src/storage/open.js';
import { startApiServer } from '../../src/apiserver/server.js';
import { writeKubeconfig } from '../../src/apiserver/kubeconfig.js';
import { ensureClusterPki } from '../../src/pki/index.js';
import { IPRange } from '../../src/apiserver/registry/service/ranges.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import { eventually } from '../kubelet/harness.js';
import { etcdSkip, startEtcd } from '../helpers/etcd.js';

function client(kubeconfig: string): k8s.CoreV1Api {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc.makeApiClient(k8s.CoreV1Api);
}

const svc = (name: string, spec: Partial<k8s.V1ServiceSpec> = {}): k8s.V1Service => ({
  metadata: { name },
  spec: { ports: [{ port: 80, protocol: 'TCP' }], selector: { app: name }, ...spec },
});

/** The status body of a failed client-node call. */
function statusOf(err: unknown): { code: number; message: string; reason: string } {
  const e = err as { code?: number; body?: string };
  const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
  return { code: e.code ?? body?.code, message: body?.message, reason: body?.reason };
}

async function rejects(p: Promise<unknown>): Promise<{ code: number; message: string; reason: string }> {
  try {
    await p;
  } catch (err) {
    return statusOf(err);
  }
  assert.fail('expected the request to fail');
}

describe('service cluster IP allocation', () => {
  let srv: TestServer;
  let core: k8s.CoreV1Api;
  before(async () => {
    srv = await startTestServer({ secure: true });
    core = client(srv.kubeconfig);
  });
  after(() => srv.close());

  it('gives 50 concurrent creates 50 distinct addresses from the range', async () => {
    const created = await Promise.all(Array.from({ length: 50 }, (_, i) => core.createNamespacedService({ namespace: 'default', body: svc(`c${i}`) })));
    const ips = created.map((s) => s.spec!.clusterIP!);
    assert.equal(new Set(ips).size, 50);
    const range = new IPRange('10.0.0.0/24');
    for (const s of created) {
      assert.ok(range.offsetOf(s.spec!.clusterIP!) >= 0, s.spec!.clusterIP);
      assert.deepEqual(s.spec!.clusterIPs, [s.spec!.clusterIP]);
      assert.deepEqual(s.spec!.ipFamilies, ['IPv4']);
      assert.equal(s.spec!.ipFamilyPolicy, 'SingleStack');
    }
    // Dynamic allocations keep out of the low band people ask for by number (10.0.0.1-10.0.0.16).
    assert.ok(ips.every((ip) => range.offsetOf(ip) >= 16));
    assert.equal(await srv.server.serviceAllocators.ips.free(), 254 - 50);
    await Promise.all(created.map((s) => core.deleteNamespacedService({ namespace: 'default', name: s.metadata!.name! })));
    assert.equal(await srv.server.serviceAllocators.ips.free(), 254);
  });

  it('honours a requested address and refuses a taken or foreign one with upstream\'s 422', async () => {
    const a = await core.createNamespacedService({ namespace: 'default', body: svc('want', { clusterIP: '10.0.0.50' }) });
    assert.equal(a.spec!.clusterIP, '10.0.0.50');
    assert.deepEqual(a.spec!.clusterIPs, ['10.0.0.50']);
    const taken = await rejects(core.createNamespacedService({ namespace: 'default', body: svc('want2', { clusterIP: '10.0.0.50' }) }));
    assert.equal(taken.code, 422);
    assert.equal(taken.reason, 'Invalid');
    assert.equal(taken.message, 'Service "want2" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.50"}: failed to allocate IP 10.0.0.50: provided IP is already allocated');
    const foreign = await rejects(core.createNamespacedService({ namespace: 'default', body: svc('want3', { clusterIP: '192.168.7.7' }) }));
    assert.equal(foreign.code, 422);
    assert.equal(foreign.message, 'Service "want3" is invalid: spec.clusterIPs: Invalid value: []string{"192.168.7.7"}: failed to allocate IP 192.168.7.7: provided IP is not in the valid range. The range of valid IPs is 10.0.0.0/24');
    const r = await kubectl(srv.kubeconfig, ['create', 'service', 'clusterip', 'want4', '--tcp=80:8080', '--clusterip=10.0.0.50']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /failed to create ClusterIP service: Service "want4" is invalid: spec.clusterIPs: Invalid value: \[\]string\{"10.0.0.50"\}: failed to allocate IP 10.0.0.50: provided IP is already allocated/);
    // A failed create keeps nothing: the requested address is still only the first Service's.
    await core.deleteNamespacedService({ namespace: 'default', name: 'want' });
    const again = await core.createNamespacedService({ namespace: 'default', body: svc('want2', { clusterIP: '10.0.0.50' }) });
    assert.equal(again.spec!.clusterIP, '10.0.0.50');
    await core.deleteNamespacedService({ namespace: 'default', name: 'want2' });
  });

  it('keeps spec.clusterIP immutable, with upstream\'s message', async () => {
    await core.createNamespacedService({ namespace: 'default', body: svc('immut', { clusterIP: '10.0.0.60' }) });
    const r = await kubectl(srv.kubeconfig, ['patch', 'svc', 'immut', '-p', '{"spec":{"clusterIP":"10.0.0.61"}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /The Service "immut" is invalid: spec.clusterIPs\[0\]: Invalid value: \[\]string\{"10.0.0.61"\}: may not change once set/);
    // A replace that leaves the address out keeps it (the registry fills it back in).
    const cur = await core.readNamespacedService({ namespace: 'default', name: 'immut' });
    delete cur.spec!.clusterIP;
    delete cur.spec!.clusterIPs;
    cur.metadata!.labels = { changed: 'yes' };
    const replaced = await core.replaceNamespacedService({ namespace: 'default', name: 'immut', body: cur });
    assert.equal(replaced.spec!.clusterIP, '10.0.0.60');
    await core.deleteNamespacedService({ namespace: 'default', name: 'immut' });
  });

  it('gives headless and ExternalName Services no address', async () => {
    const h = await core.createNamespacedService({ namespace: 'default', body: svc('headless', { clusterIP: 'None' }) });
    assert.equal(h.spec!.clusterIP, 'None');
    assert.deepEqual(h.spec!.clusterIPs, ['None']);
    assert.equal(h.spec!.ipFamilyPolicy, 'SingleStack');
    const hs = await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'headless-nosel' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } } });
    // Upstream's special case: headless without a selector is RequireDualStack with both families.
    assert.equal(hs.spec!.ipFamilyPolicy, 'RequireDualStack');
    assert.deepEqual(hs.spec!.ipFamilies, ['IPv4', 'IPv6']);
    const e = await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.test' } } });
    assert.equal(e.spec!.clusterIP, undefined);
    assert.equal(e.spec!.ipFamilies, undefined);
    const before = await srv.server.serviceAllocators.ips.free();
    // ExternalName to ClusterIP takes an address; back to ExternalName gives it back.
    await kubectlOk(srv.kubeconfig, ['patch', 'svc', 'ext', '-p', '{"spec":{"type":"ClusterIP","externalName":null,"ports":[{"port":80}]}}']);
    const c = await core.readNamespacedService({ namespace: 'default', name: 'ext' });
    assert.ok(c.spec!.clusterIP && c.spec!.clusterIP !== 'None');
    assert.equal(await srv.server.serviceAllocators.ips.free(), before - 1);
    await kubectlOk(srv.kubeconfig, ['patch', 'svc', 'ext', '-p', '{"spec":{"type":"ExternalName","externalName":"example.test"}}']);
    const back = await core.readNamespacedService({ namespace: 'default', name: 'ext' });
    assert.equal(back.spec!.clusterIP, undefined);
    assert.equal(await srv.server.serviceAllocators.ips.free(), before);
    for (const n of ['headless', 'headless-nosel', 'ext']) await core.deleteNamespacedService({ namespace: 'default', name: n });
  });

  it('rejects bad input with upstream\'s messages', async () => {
    const bad = await rejects(core.createNamespacedService({ namespace: 'default', body: svc('badip', { clusterIP: 'not-an-ip' }) }));
    assert.equal(bad.code, 422);
    assert.match(bad.message, /^Service "badip" is invalid: spec.clusterIPs\[0\]: Invalid value: "not-an-ip": must be empty, 'None', or a valid IP address/);
    const dup = await rejects(core.createNamespacedService({ namespace: 'default', body: svc('dupname', { ports: [{ name: 'a', port: 80 }, { name: 'a', port: 81 }] }) }));
    assert.equal(dup.code, 422);
    assert.equal(dup.message, 'Service "dupname" is invalid: spec.ports[1].name: Duplicate value: "a"');
    const np = await rejects(core.createNamespacedService({ namespace: 'default', body: svc('lowport', { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }) }));
    assert.equal(np.code, 422);
    assert.equal(np.message, 'Service "lowport" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767');
    // Nothing of the refused Services was kept.
    const held = (await core.listNamespacedService({ namespace: 'default' })).items.map((x) => x.spec?.clusterIP);
    const snap = await srv.server.serviceAllocators.ips.snapshot();
    assert.deepEqual([...snap.bitmap.members()], [], `held by ${held}`);
    assert.equal(await srv.server.serviceAllocators.ports.free(), 2768);
  });
});

describe('service node port allocation', () => {
  let srv: TestServer;
  let core: k8s.CoreV1Api;
  before(async () => {
    srv = await startTestServer({ secure: true });
    core = client(srv.kubeconfig);
  });
  after(() => srv.close());

  it('allocates, refuses a taken port, and releases on type change and delete', async () => {
    const a = await core.createNamespacedService({ namespace: 'default', body: svc('np', { type: 'NodePort', ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] }) });
    const ports = a.spec!.ports!.map((p) => p.nodePort!);
    assert.equal(new Set(ports).size, 2);
    for (const p of ports) assert.ok(p >= 30000 && p <= 32767, String(p));
    assert.equal(a.spec!.externalTrafficPolicy, 'Cluster');
    const taken = await rejects(core.createNamespacedService({ namespace: 'default', body: svc('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: ports[0] }] }) }));
    assert.equal(taken.code, 422);
    assert.equal(taken.message, `Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: ${ports[0]}: provided port is already allocated`);
    // NodePort to ClusterIP gives the node ports back (upstream drops the unchanged values on a type change).
    await kubectlOk(srv.kubeconfig, ['patch', 'svc', 'np', '-p', '{"spec":{"type":"ClusterIP"}}']);
    const c = await core.readNamespacedService({ namespace: 'default', name: 'np' });
    assert.deepEqual(c.spec!.ports!.map((p) => p.nodePort), [undefined, undefined]);
    assert.equal(c.spec!.externalTrafficPolicy, undefined);
    assert.equal(await srv.server.serviceAllocators.ports.free(), 2768);
    const b = await core.createNamespacedService({ namespace: 'default', body: svc('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: ports[0] }] }) });
    assert.equal(b.spec!.ports![0]!.nodePort, ports[0]);
    // A replace without nodePort keeps the allocated one.
    delete b.spec!.ports![0]!.nodePort;
    const kept = await core.replaceNamespacedService({ namespace: 'default', name: 'np2', body: b });
    assert.equal(kept.spec!.ports![0]!.nodePort, ports[0]);
    await core.deleteNamespacedService({ namespace: 'default', name: 'np2' });
    assert.equal(await srv.server.serviceAllocators.ports.free(), 2768);
    await core.deleteNamespacedService({ namespace: 'default', name: 'np' });
  });

  it('gives a LoadBalancer node ports and, with externalTrafficPolicy Local, a health check node port', async () => {
    const lb = await core.createNamespacedService({ namespace: 'default', body: svc('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' }) });
    assert.ok(lb.spec!.ports![0]!.nodePort! >= 30000);
    assert.ok(lb.spec!.healthCheckNodePort! >= 30000);
    assert.notEqual(lb.spec!.healthCheckNodePort, lb.spec!.ports![0]!.nodePort);
    assert.equal(lb.spec!.allocateLoadBalancerNodePorts, true);
    assert.equal(await srv.server.serviceAllocators.ports.free(), 2768 - 2);
    await kubectlOk(srv.kubeconfig, ['patch', 'svc', 'lb', '-p', '{"spec":{"externalTrafficPolicy":"Cluster"}}']);
    const cl = await core.readNamespacedService({ namespace: 'default', name: 'lb' });
    assert.equal(cl.spec!.healthCheckNodePort, undefined);
    assert.equal(await srv.server.serviceAllocators.ports.free(), 2768 - 1);
    const noPorts = await core.createNamespacedService({ namespace: 'default', body: svc('lb2', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false }) });
    assert.equal(noPorts.spec!.ports![0]!.nodePort, undefined);
    await core.deleteNamespacedService({ namespace: 'default', name: 'lb' });
    await core.deleteNamespacedService({ namespace: 'default', name: 'lb2' });
    assert.equal(await srv.server.serviceAllocators.ports.free(), 2768);
  });

  it('kubectl create service and kubectl get svc show upstream\'s columns', async () => {
    await kubectlOk(srv.kubeconfig, ['create', 'service', 'clusterip', 'web', '--tcp=80:8080']);
    await kubectlOk(srv.kubeconfig, ['create', 'service', 'nodeport', 'edge', '--tcp=8080:80', '--node-port=31234']);
    await kubectlOk(srv.kubeconfig, ['create', 'service', 'clusterip', 'hl', '--clusterip=None']);
    const out = await kubectlOk(srv.kubeconfig, ['get', 'svc']);
    const lines = out.trim().split('\n');
    assert.match(lines[0]!, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/);
    const row = (n: string) => lines.find((l) => l.startsWith(n + ' '))!.split(/\s+/);
    const web = row('web');
    assert.equal(web[1], 'ClusterIP');
    assert.match(web[2]!, /^10\.0\.0\.\d+$/);
    assert.equal(web[3], '<none>');
    assert.equal(web[4], '80/TCP');
    const edge = row('edge');
    assert.equal(edge[1], 'NodePort');
    assert.equal(edge[4], '8080:31234/TCP');
    const hl = row('hl');
    assert.equal(hl[2], 'None');
    for (const n of ['web', 'edge', 'hl']) await kubectlOk(srv.kubeconfig, ['delete', 'svc', n]);
  });
});

describe('allocations survive restarts and are shared by several API servers', () => {
  it('a restarted server never hands out a live address, and two servers on one store never collide', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'k8ts-svc-restart-'));
    const store = await openStore({ kind: 'sqlite', path: join(dir, 'state.db') });
    try {
      const pki = await ensureClusterPki(dir, { hostnames: ['localhost'], ips: ['127.0.0.1'] });
      const b64 = (t: string) => Buffer.from(t).toString('base64');
      const start = async () => {
        const s = await startApiServer({ store, port: 0, host: '127.0.0.1', secure: { pki } });
        const kc = join(dir, `kc-${s.port}.yaml`);
        await writeKubeconfig(kc, { server: s.url, caData: b64(pki.caCertPem), clientCertData: b64(pki.adminCertPem), clientKeyData: b64(pki.adminKeyPem) });
        return { s, core: client(kc) };
      };
      const first = await start();
      const live = await Promise.all(Array.from({ length: 30 }, (_, i) => first.core.createNamespacedService({ namespace: 'default', body: svc(`r${i}`, { type: i % 2 ? 'NodePort' : 'ClusterIP' }) })));
      await first.s.close();
      // Two servers over the same store, as with several API servers on one etcd.
      const [a, b] = await Promise.all([start(), start()]);
      const more = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).core.createNamespacedService({ namespace: 'default', body: svc(`m${i}`, { type: i % 2 ? 'NodePort' : 'ClusterIP' }) })),
      );
      const all = [...live, ...more];
      const ips = all.map((s) => s.spec!.clusterIP);
      assert.equal(new Set(ips).size, all.length);
      const nps = all.flatMap((s) => s.spec!.ports!.map((p) => p.nodePort).filter(Boolean));
      assert.equal(new Set(nps).size, nps.length);
      assert.equal(nps.length, 35);
      assert.equal(await a.s.serviceAllocators.ips.free(), 254 - 70);
      assert.equal(await b.s.serviceAllocators.ports.free(), 2768 - 35);
      await a.s.close();
      await b.s.close();
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the repair pass rebuilds lost bits and frees leaks only after several passes', async () => {
    const srv = await startTestServer({ secure: true });
    try {
      const core = client(srv.kubeconfig);
      const s = await core.createNamespacedService({ namespace: 'default', body: svc('held', { clusterIP: '10.0.0.77' }) });
      assert.equal(s.spec!.clusterIP, '10.0.0.77');
      const ips = srv.server.serviceAllocators.ips;
      // Lose the Service's bit and leak another, as a crash between the two writes would.
      await ips.release(['10.0.0.77']);
      await ips.allocate('10.0.0.88');
      await srv.server.repairServiceAllocations();
      assert.equal(await ips.has('10.0.0.77'), true);
      assert.equal(await ips.has('10.0.0.88'), true, 'a leak survives its first sighting');
      await srv.server.repairServiceAllocations();
      assert.equal(await ips.has('10.0.0.88'), true);
      await srv.server.repairServiceAllocations();
      assert.equal(await ips.has('10.0.0.88'), false, 'the third sighting frees it');
      assert.equal(await ips.has('10.0.0.77'), true);
    } finally {
      await srv.close();
    }
  });
});

describe('the kubernetes Service', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ secure: true, api: { kubernetesService: { advertiseAddress: '192.0.2.10' } } });
  });
  after(() => srv.close());

  it('exists with the first address of the range and endpoints at the API server', async () => {
    const core = client(srv.kubeconfig);
    const k = await core.readNamespacedService({ namespace: 'default', name: 'kubernetes' });
    assert.equal(k.spec!.clusterIP, '10.0.0.1');
    assert.deepEqual(JSON.parse(JSON.stringify(k.spec!.ports)), [{ name: 'https', port: 443, protocol: 'TCP', targetPort: srv.server.port }]);
    assert.equal(k.spec!.selector, undefined);
    assert.deepEqual(k.metadata!.labels, { component: 'apiserver', provider: 'kubernetes' });
    const ep = await core.readNamespacedEndpoints({ namespace: 'default', name: 'kubernetes' });
    assert.deepEqual(JSON.parse(JSON.stringify(ep.subsets)), [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ name: 'https', port: srv.server.port, protocol: 'TCP' }] }]);
    const out = await kubectlOk(srv.kubeconfig, ['get', 'endpointslice', 'kubernetes', '-o', 'jsonpath={.addressType} {.endpoints[0].addresses[0]} {.ports[0].port}']);
    assert.equal(out, `IPv4 192.0.2.10 ${srv.server.port}`);
    const svcs = await kubectlOk(srv.kubeconfig, ['get', 'svc', 'kubernetes']);
    assert.match(svcs, /kubernetes\s+ClusterIP\s+10\.0\.0\.1\s+<none>\s+443\/TCP/);
  });
});

describe('the kubernetes Service endpoints with several API servers', () => {
  it('lists every live server, drops a stopped one at once and a dead one when its lease expires', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'k8ts-svc-leases-'));
    const store = await openStore({ kind: 'sqlite', path: join(dir, 'state.db') });
    const ttl = { leaseTTLSeconds: 2, intervalMs: 100 };
    const a = await startApiServer({ store, port: 0, host: '127.0.0.1', kubernetesService: { advertiseAddress: '192.0.2.10', ...ttl } });
    const b = await startApiServer({ store, port: 0, host: '127.0.0.1', kubernetesService: { advertiseAddress: '192.0.2.11', ...ttl } });
    const ips = async (): Promise<string> => {
      const ep = (await a.registry.storeFor(resourceFor('', 'v1', 'endpoints')!).get('default', 'kubernetes')) as { subsets?: { addresses: { ip: string }[] }[] };
      return (ep.subsets?.[0]?.addresses ?? []).map((x) => x.ip).join(',');
    };
    try {
      await eventually(async () => ((await ips()) === '192.0.2.10,192.0.2.11' ? true : undefined));
      await b.close();
      await eventually(async () => ((await ips()) === '192.0.2.10' ? true : undefined));
      // A server that died without a word: its lease is all that is left of it.
      await store.create('/registry/masterleases/192.0.2.99', '{}', { ttlSeconds: 1 });
      await eventually(async () => ((await ips()) === '192.0.2.10,192.0.2.99' ? true : undefined));
      await eventually(async () => ((await ips()) === '192.0.2.10' ? true : undefined));
    } finally {
      await a.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('two API servers on one etcd', { skip: etcdSkip() }, () => {
  it('never hand out the same cluster IP or node port, with separate etcd connections', async () => {
    const etcd = await startEtcd();
    const dir = await mkdtemp(join(tmpdir(), 'k8ts-svc-etcd-'));
    const prefix = `/k8ts-svc-${process.pid}`;
    const stores = [await openStore({ kind: 'etcd', endpoints: etcd.endpoints, prefix }), await openStore({ kind: 'etcd', endpoints: etcd.endpoints, prefix })];
    const servers: Awaited<ReturnType<typeof startApiServer>>[] = [];
    try {
      const pki = await ensureClusterPki(dir, { hostnames: ['localhost'], ips: ['127.0.0.1'] });
      const b64 = (t: string) => Buffer.from(t).toString('base64');
      const cores: k8s.CoreV1Api[] = [];
      for (const store of stores) {
        const s = await startApiServer({ store, port: 0, host: '127.0.0.1', secure: { pki } });
        servers.push(s);
        const kc = join(dir, `kc-${s.port}.yaml`);
        await writeKubeconfig(kc, { server: s.url, caData: b64(pki.caCertPem), clientCertData: b64(pki.adminCertPem), clientKeyData: b64(pki.adminKeyPem) });
        cores.push(client(kc));
      }
      const made = await Promise.all(Array.from({ length: 40 }, (_, i) => cores[i % 2]!.createNamespacedService({ namespace: 'default', body: svc(`e${i}`, { type: 'NodePort' }) })));
      assert.equal(new Set(made.map((s) => s.spec!.clusterIP)).size, 40);
      assert.equal(new Set(made.map((s) => s.spec!.ports![0]!.nodePort)).size, 40);
      assert.equal(await servers[1]!.serviceAllocators.ips.free(), 254 - 40);
    } finally {
      for (const s of servers) await s.close();
      for (const s of stores) await s.close();
      await etcd.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
