import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { TestServer } from '../helpers/apiserver.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { REPO } from '../helpers/k8ts-process.js';
import type { RunningProxy } from '../../src/proxy/proxy.js';
import { serviceChain, externalChain } from '../../src/proxy/nftables/rules.js';
import { servicePorts } from '../../src/proxy/state.js';
import type { Service } from '../../src/proxy/types.js';
import { eventually } from '../kubelet/harness.js';
import { Topology, type Pod, sh } from './netns.js';
import { addr, CLUSTER_CIDR, counts, service, slice } from './objects.js';
import { ProxyTestbed } from './testbed.js';
import { netnsSkip, nftSkip } from './skip.js';

// kube-proxy's nftables mode against real traffic, as iptables.e2e.test.ts
// for the iptables mode: the proxy (in this process, talking to a real API
// server) writes `table ip kube-proxy` into a test-made "node" network
// namespace; pods are namespaces routed through it running busybox httpd.
// Objects are created with the real kubectl.

const chainOf = (svc: Service): string => serviceChain(servicePorts(svc)[0]!, 'tcp');
const re = (s: string): string => s.replace(/[/.]/g, '\\$&');
const svcObj = (name: string, ip: string, extra: Record<string, unknown> = {}): Service => JSON.parse(service(name, ip, extra)) as Service;

/** The endpoints ("ip:port", by index) a ClusterIP's traffic is balanced over: its elements of the backends-N-tcp-<port>-<target>-<index> maps. */
function backendsOf(table: string, vip: string, port = 80): string[] {
  const out: string[] = [];
  for (const map of table.matchAll(new RegExp(`\\tmap backends-\\d+-tcp-${port}-(\\d+)-(\\d+) \\{([^}]*)\\}`, 'g'))) {
    const m = new RegExp(`${re(vip)} : ([0-9a-f.:]+)`).exec(map[3]!);
    if (m) out[Number(map[2])] = `${m[1]}:${map[1]}`;
  }
  return out;
}

/** The rules of one chain as `nft list table` prints them (tab-indented lines up to the closing brace). */
function chainRules(table: string, chain: string): string[] {
  const start = table.indexOf(`\tchain ${chain} {\n`);
  if (start < 0) return [];
  const end = table.indexOf('\n\t}', start);
  return table.slice(table.indexOf('\n', start) + 1, end).split('\n').map((l) => l.trim()).filter(Boolean);
}

describe('kube-proxy nftables mode (network namespaces)', { skip: netnsSkip() || nftSkip() }, () => {
  let ts: TestServer;
  let topo: Topology;
  let proxy: RunningProxy;
  let a: Pod, b: Pod, c: Pod, client: Pod, outside: Pod;
  const bed = new ProxyTestbed('nftables');
  const syncErrors = bed.syncErrors;
  const apply = (yaml: string) => bed.apply(yaml);
  const list = async (): Promise<string> => (await sh('ip', ['netns', 'exec', topo.node, 'nft', 'list', 'table', 'ip', 'kube-proxy'])).stdout;
  const synced = (check: (rules: string) => boolean) => bed.synced(list, check, 'nftables rules');

  before(async () => {
    await bed.start(async (t) => {
      // An iptables-mode proxy's leftover chain: the nftables mode removes it at start, as upstream.
      await sh('ip', ['netns', 'exec', t.node, 'iptables-restore', '--noflush'], '*nat\n:KUBE-SERVICES - [0:0]\n-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\nCOMMIT\n');
    });
    ({ ts, topo, proxy, a, b, c, client, outside } = bed);
  });

  after(() => bed.stop());

  it('removed the iptables mode leftovers and wrote one table ip kube-proxy with its hooks and maps', async () => {
    assert.doesNotMatch(await topo.iptablesSave(), /KUBE-/);
    const t = await list();
    for (const m of ['map service-ips', 'map service-nodeports', 'map no-endpoint-services', 'map no-endpoint-nodeports', 'set endpoint-hairpin']) assert.ok(t.includes(`\t${m} {`), `${m} missing:\n${t}`);
    assert.match(t, /chain nat-prerouting \{\n\s+type nat hook prerouting priority dstnat; policy accept;\n\s+jump services/);
    assert.match(t, /chain nat-output \{\n\s+type nat hook output priority -100; policy accept;\n\s+jump services/);
    assert.match(t, /ip daddr \. meta l4proto \. th dport vmap @service-ips/);
  });

  it('balances 1,000 requests from a pod to a ClusterIP over three endpoints, each within 20% of a third', async () => {
    await apply(service('web', '10.0.0.10'));
    await apply(slice('web', [{ pod: a }, { pod: b }, { pod: c }]));
    await synced((t) => backendsOf(t, '10.0.0.10').length === 3);
    const t = await list();
    // No chain of its own: the shared lb-3-tcp-80-80 picks one of the maps backends-3-tcp-80-80-<index>, where the ClusterIP is an element of each.
    assert.ok(!t.includes(chainOf(svcObj('web', '10.0.0.10'))), t);
    assert.match(t, /10\.0\.0\.10 \. tcp \. 80 : goto lb-3-tcp-80-80/);
    // lb-3-tcp-80-80 masquerades what does not come from a pod (the masquerade-services set is for services with chains).
    assert.deepEqual(chainRules(t, 'lb-3-tcp-80-80'), [
      `ip saddr != ${CLUSTER_CIDR} jump mark-for-masquerade`,
      'meta l4proto tcp numgen random mod 3 0 dnat to ip daddr map @backends-3-tcp-80-80-0:80',
      'meta l4proto tcp numgen random mod 2 0 dnat to ip daddr map @backends-3-tcp-80-80-1:80',
      'meta l4proto tcp dnat to ip daddr map @backends-3-tcp-80-80-2:80',
    ]);
    assert.deepEqual(backendsOf(t, '10.0.0.10').sort(), [a, b, c].map((p) => `${p.ip}:80`).sort());
    assert.ok(chainRules(t, 'services').includes(`ip saddr != ${CLUSTER_CIDR} ip daddr . meta l4proto . th dport @masquerade-services jump mark-for-masquerade`), t);

    // 1,000, not 500: each endpoint's count is binomial, and at 500 the ±20 % band is 3.2 standard deviations, which one
    // of the three left about once in 200 runs (b got 200 of 500 in CI); at 1,000 it is 4.5.
    const lines = await topo.many(client.ns, 'http://10.0.0.10/', 1000);
    const n = counts(lines);
    assert.equal(n.FAIL ?? 0, 0, `failed requests: ${JSON.stringify(n)}`);
    for (const p of ['a', 'b', 'c']) {
      assert.ok(n[p]! >= (1000 / 3) * 0.8 && n[p]! <= (1000 / 3) * 1.2, `${p} got ${n[p]} of 1,000: ${JSON.stringify(n)}`);
    }
  });

  it('lets processes of the node itself reach the ClusterIP (output hook)', async () => {
    const got = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const r = await topo.get(topo.node, 'http://10.0.0.10/');
      assert.ok(r.ok, r.stderr);
      got.add(r.body);
    }
    assert.ok(got.size >= 2, `node reached only ${[...got].join(',')}`);
  });

  it('takes a removed endpoint out of rotation with no failed request after its removal', async () => {
    const loop = topo.loop(client.ns, 'http://10.0.0.10/');
    await eventually(() => loop.lines.length >= 50, '50 requests before the change');
    await apply(slice('web', [{ pod: a }, { pod: b }]));
    await synced((t) => backendsOf(t, '10.0.0.10').length === 2 && !backendsOf(t, '10.0.0.10').includes(`${c.ip}:80`));
    await topo.stopServing(c);
    const atKill = loop.lines.length;
    await eventually(() => loop.lines.length >= atKill + 300, '300 requests after the backend died');
    await loop.stop();
    const n = counts(loop.lines.slice(atKill));
    assert.equal(n.FAIL ?? 0, 0, `failures after the endpoint was removed: ${JSON.stringify(n)}`);
    assert.equal(n.c ?? 0, 0, `the removed endpoint still got traffic: ${JSON.stringify(n)}`);
    assert.ok((n.a ?? 0) > 0 && (n.b ?? 0) > 0);
    assert.equal(counts(loop.lines).FAIL ?? 0, 0);
    await topo.serve(c);
  });

  it('rejects connections to a service without endpoints', async () => {
    await apply(service('empty', '10.0.0.12'));
    await synced((t) => t.includes('10.0.0.12 . tcp . 80 : goto reject-chain'));
    // Rejected at once (curl exit 7, could not connect); a drop would time out (exit 28).
    for (const from of [client.ns, topo.node]) {
      const r = await sh('ip', ['netns', 'exec', from, 'curl', '-sS', '-m', '5', 'http://10.0.0.12/']);
      assert.equal(r.code, 7, `${from}: ${r.stderr}`);
    }
  });

  it('serves a NodePort to the node itself, to pods and to off-cluster clients', async () => {
    await apply(service('np', '10.0.0.13', { type: 'NodePort' }, [{ name: 'http', port: 80, targetPort: 80, nodePort: 30080 }]));
    await apply(slice('np', [{ pod: a }, { pod: b }, { pod: c }]));
    const ext = externalChain(servicePorts(svcObj('np', '10.0.0.13', { type: 'NodePort' }))[0]!, 'tcp');
    await synced((t) => t.includes(`tcp . 30080 : goto ${ext}`));
    for (const [from, url] of [
      [topo.node, `http://${topo.nodeIP}:30080/`],
      [client.ns, `http://${client.gateway}:30080/`],
      [outside.ns, `http://${outside.gateway}:30080/`],
    ] as const) {
      const n = counts(await topo.many(from, url, 30));
      assert.equal(n.FAIL ?? 0, 0, `${from} → ${url}: ${JSON.stringify(n)}`);
      assert.ok(Object.keys(n).length >= 2, `${from} → ${url} reached only ${JSON.stringify(n)}`);
    }
    // externalTrafficPolicy Cluster masquerades: the backend sees the node, not the off-cluster client.
    const seen = await topo.get(outside.ns, `http://${outside.gateway}:30080/cgi-bin/ip`);
    assert.ok(seen.ok, seen.stderr);
    assert.ok([a, b, c].map((p) => p.gateway).includes(addr(seen.body)), `backend saw ${seen.body}`);
    // Loopback is not a NodePort address (no route_localnet), as in the iptables mode.
    const lo = await sh('ip', ['netns', 'exec', topo.node, 'curl', '-sS', '-m', '2', 'http://127.0.0.1:30080/']);
    assert.notEqual(lo.code, 0);
  });

  it('rejects a NodePort without endpoints', async () => {
    await apply(service('npempty', '10.0.0.19', { type: 'NodePort' }, [{ name: 'http', port: 80, targetPort: 80, nodePort: 30082 }]));
    await synced((t) => t.includes('tcp . 30082 : goto reject-chain'));
    const r = await sh('ip', ['netns', 'exec', outside.ns, 'curl', '-sS', '-m', '5', `http://${outside.gateway}:30082/`]);
    assert.equal(r.code, 7, r.stderr);
  });

  it('externalTrafficPolicy Local: off-cluster clients reach only local endpoints, with their source address kept', async () => {
    await apply(service('etp', '10.0.0.14', { type: 'NodePort', externalTrafficPolicy: 'Local' }, [{ name: 'http', port: 80, targetPort: 80, nodePort: 30081 }]));
    await apply(slice('etp', [{ pod: a }, { pod: b, node: 'node-2' }, { pod: c, node: 'node-2' }]));
    await synced((t) => t.includes('tcp . 30081 : goto external-') && t.includes('-default/etp/tcp/http {') && t.includes('chain local-'));
    assert.deepEqual(counts(await topo.many(outside.ns, `http://${outside.gateway}:30081/`, 30)), { a: 30 });
    const seen = await topo.get(outside.ns, `http://${outside.gateway}:30081/cgi-bin/ip`);
    assert.equal(addr(seen.body), outside.ip);
    // Pods are not external: they use every endpoint.
    const fromPod = counts(await topo.many(client.ns, `http://${client.gateway}:30081/`, 40));
    assert.ok(Object.keys(fromPod).length >= 2, JSON.stringify(fromPod));
  });

  it('internalTrafficPolicy Local: ClusterIP traffic goes only to endpoints on this node', async () => {
    await apply(service('itp', '10.0.0.15', { internalTrafficPolicy: 'Local' }));
    await apply(slice('itp', [{ pod: a }, { pod: b, node: 'node-2' }, { pod: c, node: 'node-2' }]));
    await synced((t) => /10\.0\.0\.15 \. tcp \. 80 : goto lb-1-tcp-80-80/.test(t));
    assert.deepEqual(backendsOf(await list(), '10.0.0.15'), [`${a.ip}:80`]);
    assert.deepEqual(counts(await topo.many(client.ns, 'http://10.0.0.15/', 30)), { a: 30 });
  });

  it('sessionAffinity ClientIP pins a client to one endpoint', async () => {
    await apply(service('sticky', '10.0.0.16', { sessionAffinity: 'ClientIP' }));
    await apply(slice('sticky', [{ pod: a }, { pod: b }, { pod: c }]));
    await synced((t) => /ip saddr @affinity-\S+__10\.250\.\d+\.2\/80 meta l4proto tcp update @affinity-\S+ \{ ip saddr timeout 3h \} dnat to /.test(t) && t.includes('10.0.0.16 . tcp . 80'));
    for (const from of [client.ns, outside.ns]) {
      const n = counts(await topo.many(from, 'http://10.0.0.16/', 40));
      assert.equal(Object.keys(n).length, 1, `${from} was not pinned: ${JSON.stringify(n)}`);
      assert.notEqual(Object.keys(n)[0], 'FAIL');
    }
  });

  it('resolves a named targetPort through the EndpointSlice port of the same name', async () => {
    await apply(service('named', '10.0.0.17', {}, [{ name: 'web', port: 80, targetPort: 'www' }]));
    await apply(slice('named', [{ pod: a }], 8080, 'named-1', 'web'));
    await synced((t) => backendsOf(t, '10.0.0.17').join() === `${a.ip}:8080`);
    assert.deepEqual(counts(await topo.many(client.ns, 'http://10.0.0.17/', 5)), { a: 5 });
  });

  it('hairpin: a pod reaching its own service through the ClusterIP is masqueraded and answered', async () => {
    await apply(service('self', '10.0.0.18'));
    await apply(slice('self', [{ pod: a }]));
    await synced((t) => t.includes('10.0.0.18 . tcp . 80'));
    // No element per endpoint (nft-rules.test.ts): the masquerading rule puts each DNATed connection's daddr . daddr in the set, and finds saddr . daddr there only when they are one address.
    assert.deepEqual(counts(await topo.many(a.ns, 'http://10.0.0.18/', 10)), { a: 10 });
    // The backend sees the node's address on its link, not its own.
    const seen = await topo.get(a.ns, 'http://10.0.0.18/cgi-bin/ip');
    assert.equal(addr(seen.body), a.gateway);
    assert.match(await list(), new RegExp(`${re(a.ip)} \\. ${re(a.ip)} (timeout|expires)`));
    // Another pod reaching the same endpoint is not a hairpin: it keeps its address, though a's element is in the set.
    const other = await topo.get(client.ns, 'http://10.0.0.18/cgi-bin/ip');
    assert.ok(other.ok, other.stderr);
    assert.equal(addr(other.body), client.ip);
    // Nor is a pod reaching another endpoint of a service it is an endpoint of (upstream masquerades only its own address).
    await apply(slice('self', [{ pod: a }, { pod: b }]));
    await synced((t) => backendsOf(t, '10.0.0.18').length === 2);
    // b sees a's own address; a, reached through the service, sees the node's.
    const seenFromA = new Set<string>();
    for (let i = 0; i < 60 && seenFromA.size < 2; i++) {
      const r = await topo.get(a.ns, 'http://10.0.0.18/cgi-bin/ip');
      assert.ok(r.ok, r.stderr);
      seenFromA.add(addr(r.body));
    }
    assert.deepEqual([...seenFromA].sort(), [a.gateway, a.ip].sort());
  });

  it('LoadBalancer ingress IP: reachable from the allowed source range only (loadBalancerSourceRanges), forwarded service traffic accepted', async () => {
    await apply(service('lb', '10.0.0.20', { type: 'LoadBalancer', loadBalancerSourceRanges: ['172.30.0.0/16'] }, [{ name: 'http', port: 80, targetPort: 80 }]));
    await apply(slice('lb', [{ pod: a }, { pod: b }]));
    // No cloud provider here: the test plays the load balancer controller and writes the status with kubectl.
    await kubectlOk(ts.kubeconfig, ['patch', 'service', 'lb', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: '192.0.2.20' }] } } })]);
    await synced((t) => t.includes('192.0.2.20 . tcp . 80 : goto external-') && /192\.0\.2\.20 \. tcp \. 80 : goto firewall-/.test(t));
    const t = await list();
    assert.match(t, /chain firewall-\S+-default\/lb\/tcp\/http \{\n\s+ip saddr != 172\.30\.0\.0\/16 drop/);
    assert.match(t, /chain filter-forward \{[^}]*meta mark & 0x00004000 == 0x00004000 accept\n\s+ct state established,related accept/);
    // The off-cluster client (172.30.x, routed to this node) is inside the range.
    const n = counts(await topo.many(outside.ns, 'http://192.0.2.20/', 20));
    assert.equal(n.FAIL ?? 0, 0, JSON.stringify(n));
    assert.ok(Object.keys(n).length === 2, JSON.stringify(n));
    // A pod (10.250.x) is not: dropped before DNAT, so the connection times out (curl exit 28), no reject.
    const r = await sh('ip', ['netns', 'exec', client.ns, 'curl', '-sS', '-m', '3', 'http://192.0.2.20/']);
    assert.equal(r.code, 28, r.stderr);
    // The ClusterIP is not subject to the ranges.
    assert.equal(counts(await topo.many(client.ns, 'http://10.0.0.20/', 5)).FAIL ?? 0, 0);
    // Ranges removed: everyone may use the load balancer IP again (a partial sync deletes the firewall element and chain).
    await kubectlOk(ts.kubeconfig, ['patch', 'service', 'lb', '--type=json', '-p', JSON.stringify([{ op: 'remove', path: '/spec/loadBalancerSourceRanges' }])]);
    await synced((t2) => !t2.includes('firewall-') || !/chain firewall-\S+-default\/lb\//.test(t2));
    assert.equal(counts(await topo.many(client.ns, 'http://192.0.2.20/', 5)).FAIL ?? 0, 0);
    await kubectlOk(ts.kubeconfig, ['delete', 'service', 'lb']);
  });

  it('deletes the chains and map elements of a deleted service', async () => {
    const chain = chainOf(svcObj('self', '10.0.0.18'));
    await kubectlOk(ts.kubeconfig, ['delete', 'service', 'self']);
    await synced((t) => !t.includes(chain) && !t.includes('10.0.0.18'));
  });

  it('made every change with a partial sync that nft accepted', () => {
    assert.deepEqual(syncErrors, []);
    assert.ok(bed.partialSyncs >= 5, `only ${bed.partialSyncs} partial syncs`);
  });

  it('k8ts proxy --cleanup removes the table and exits 0', async () => {
    await proxy.stop();
    assert.match(await list(), /chain services/);
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('ip', ['netns', 'exec', topo.node, process.execPath, 'bin/k8ts.js', 'proxy', '--cleanup'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('exit', (code) => resolve({ code, out }));
    });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /removed nftables tables ip kube-proxy/);
    const tables = await sh('ip', ['netns', 'exec', topo.node, 'nft', 'list', 'tables']);
    assert.doesNotMatch(tables.stdout, /kube-proxy/);
    const after = await sh('ip', ['netns', 'exec', client.ns, 'curl', '-sS', '-m', '1', 'http://10.0.0.10/']);
    assert.notEqual(after.code, 0);
  });
});
