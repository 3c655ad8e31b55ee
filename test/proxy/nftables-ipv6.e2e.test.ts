import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hostExec } from '../../src/proxy/exec.js';
import { ProxyState } from '../../src/proxy/state.js';
import { NftablesProxier } from '../../src/proxy/nftables/proxier.js';
import { logger } from '../../src/util/log.js';
import type { EndpointSlice, Service } from '../../src/proxy/types.js';
import { Topology, type Pod, sh } from './netns.js';
import { addr, counts } from './objects.js';
import { netnsSkip, nftSkip } from './skip.js';

// The nftables mode's IPv6 table with real traffic: a dual-stack Service (a
// cluster IP of each family) written by one proxier into `table ip kube-proxy`
// and `table ip6 kube-proxy` of a test-made node namespace. The API server
// allocates IPv4 cluster IPs only, so the proxier is fed the objects directly
// (nftables.e2e.test.ts drives the same proxier through the API with kubectl).

const CIDRS = '10.250.0.0/16,fd00:250::/32';

function dualStack(name: string, v4: string, v6: string, extra: Service['spec'] = {}): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { clusterIP: v4, clusterIPs: [v4, v6], ports: [{ name: 'http', port: 80 }], ...extra } };
}

function slice(svc: string, family: 'IPv4' | 'IPv6', pods: Pod[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svc}-${family}`, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
    addressType: family,
    endpoints: pods.map((p) => ({ addresses: [family === 'IPv4' ? p.ip : p.ip6!], conditions: { ready: true }, nodeName: 'node-1' })),
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
  };
}

describe('kube-proxy nftables mode, IPv6 and dual-stack (network namespaces)', { skip: netnsSkip() || nftSkip() }, () => {
  let topo: Topology;
  let a: Pod, b: Pod, client: Pod, outside: Pod;
  let state: ProxyState;
  let proxier: NftablesProxier;
  const list = async (family: string): Promise<string> => (await sh('ip', ['netns', 'exec', topo.node, 'nft', 'list', 'table', family, 'kube-proxy'])).stdout;

  before(async () => {
    topo = new Topology();
    await topo.create();
    a = await topo.addPod('a');
    b = await topo.addPod('b');
    client = await topo.addPod('client');
    outside = await topo.addPod('outside', 'external');
    for (const p of [a, b, client, outside]) await topo.addIPv6(p);
    for (const p of [a, b]) await topo.serve(p);
    state = new ProxyState('node-1');
    proxier = new NftablesProxier({ exec: hostExec(topo.node), state, log: logger('nft-ipv6-test'), clusterCIDR: CIDRS, ipFamilies: ['IPv4', 'IPv6'] });
  });

  after(async () => {
    await proxier?.close();
    await topo?.destroy();
  });

  it('writes both tables in one transaction and balances IPv6 ClusterIP traffic over the IPv6 endpoints', async () => {
    state.setService(dualStack('web', '10.0.0.60', 'fd00:96::60'), 'default/web');
    state.setSlice(slice('web', 'IPv4', [a, b]), false);
    state.setSlice(slice('web', 'IPv6', [a, b]), false);
    const r = await proxier.sync();
    assert.equal(r.full, true);
    const v6 = await list('ip6');
    assert.match(v6, /fd00:96::60 \. tcp \. 80 : goto lb-2-tcp-80-80/);
    assert.match(v6, /map backends-2-tcp-80-80-[01] \{[^}]*fd00:96::60 : fd00:250:\d+::2/);
    assert.match(v6, /numgen random mod 2 0 dnat to ip6 daddr map @backends-2-tcp-80-80-0:80/);
    assert.doesNotMatch(v6, /10\.0\.0\.60/);
    assert.match(await list('ip'), /10\.0\.0\.60 \. tcp \. 80 : goto lb-2-tcp-80-80/);
    const n6 = counts(await topo.many(client.ns, 'http://[fd00:96::60]/', 40));
    assert.equal(n6.FAIL ?? 0, 0, JSON.stringify(n6));
    assert.ok((n6.a ?? 0) > 0 && (n6.b ?? 0) > 0, JSON.stringify(n6));
    const n4 = counts(await topo.many(client.ns, 'http://10.0.0.60/', 20));
    assert.equal(n4.FAIL ?? 0, 0, JSON.stringify(n4));
    // The node's own processes (output hook) too.
    const own = await topo.get(topo.node, 'http://[fd00:96::60]/');
    assert.ok(own.ok, own.stderr);
    // Hairpin in the ip6 table: a, reaching itself through the service, is masqueraded to the node's address on its link; reaching b, it keeps its own.
    const seen = new Set<string>();
    for (let i = 0; i < 60 && seen.size < 2; i++) {
      const r = await topo.get(a.ns, 'http://[fd00:96::60]/cgi-bin/ip');
      assert.ok(r.ok, r.stderr);
      seen.add(addr(r.body.trim()));
    }
    assert.deepEqual([...seen].sort(), [a.gateway6!, a.ip6!].sort());
  });

  it('a partial sync moves an IPv6 endpoint out of rotation and leaves the IPv4 table alone', async () => {
    // What we wrote, without the set traffic fills (endpoint-hairpin's elements and their expiry change by themselves).
    const written = async (): Promise<string> => (await list('ip')).replace(/\n\t\telements = \{[^}]* expires [^}]*\}/g, '');
    const v4before = await written();
    state.setSlice(slice('web', 'IPv6', [a]), false);
    const r = await proxier.sync();
    assert.equal(r.full, false);
    assert.ok(r.bytes > 0);
    assert.deepEqual(counts(await topo.many(client.ns, 'http://[fd00:96::60]/', 20)), { a: 20 });
    assert.equal(await written(), v4before);
    // Not the data of a backends- element any more (it may still be in endpoint-hairpin, which traffic fills).
    assert.doesNotMatch(await list('ip6'), new RegExp(`: ${b.ip6!}\\b`));
  });

  it('serves an IPv6 NodePort to an off-cluster client, masqueraded', async () => {
    state.setService(dualStack('np', '10.0.0.61', 'fd00:96::61', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30061 }] }), 'default/np');
    state.setSlice(slice('np', 'IPv6', [a, b]), false);
    await proxier.sync();
    const n = counts(await topo.many(outside.ns, `http://[${outside.gateway6!}]:30061/`, 30));
    assert.equal(n.FAIL ?? 0, 0, JSON.stringify(n));
    assert.ok(Object.keys(n).length === 2, JSON.stringify(n));
    // No IPv4 endpoints: the IPv4 half rejects.
    assert.match(await list('ip'), /10\.0\.0\.61 \. tcp \. 80 : goto reject-chain/);
    const r = await sh('ip', ['netns', 'exec', client.ns, 'curl', '-sS', '-m', '5', 'http://10.0.0.61/']);
    assert.equal(r.code, 7, r.stderr);
  });

  it('deleting the service removes it from both tables', async () => {
    for (const s of ['web', 'np']) {
      state.setService(undefined, `default/${s}`);
      for (const f of ['IPv4', 'IPv6'] as const) state.setSlice(slice(s, f, []), true);
    }
    await proxier.sync();
    for (const f of ['ip', 'ip6']) {
      const t = await list(f);
      assert.match(t, /chain services/);
      assert.doesNotMatch(t, /default\/(web|np)\//);
    }
  });
});
