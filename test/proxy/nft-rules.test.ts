import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderService, assembleFull, assemblePartial, LB_SPLIT_MAX, serviceChain, externalChain, firewallChain, type NftOptions } from '../../src/proxy/nftables/rules.js';
import { ProxyState, servicePorts } from '../../src/proxy/state.js';
import type { EndpointSlice, Service } from '../../src/proxy/types.js';

/** The maps, chain and cascade of the lb chain for TCP services with 3 endpoints, port 80 to 8080. */
const LB3_DECLARATION = [
  'add map ip kube-proxy backends-3-tcp-80-8080-0 { type ipv4_addr : ipv4_addr ; comment "ClusterIP: endpoint 0 of tcp services with 3, port 80 to 8080" ; }',
  'add map ip kube-proxy backends-3-tcp-80-8080-1 { type ipv4_addr : ipv4_addr ; comment "ClusterIP: endpoint 1 of tcp services with 3, port 80 to 8080" ; }',
  'add map ip kube-proxy backends-3-tcp-80-8080-2 { type ipv4_addr : ipv4_addr ; comment "ClusterIP: endpoint 2 of tcp services with 3, port 80 to 8080" ; }',
  'add chain ip kube-proxy lb-3-tcp-80-8080',
  'add rule ip kube-proxy lb-3-tcp-80-8080 ip saddr != 10.244.0.0/16 jump mark-for-masquerade',
  'add rule ip kube-proxy lb-3-tcp-80-8080 meta l4proto tcp numgen random mod 3 0 dnat ip to ip daddr map @backends-3-tcp-80-8080-0 : 8080',
  'add rule ip kube-proxy lb-3-tcp-80-8080 meta l4proto tcp numgen random mod 2 0 dnat ip to ip daddr map @backends-3-tcp-80-8080-1 : 8080',
  'add rule ip kube-proxy lb-3-tcp-80-8080 meta l4proto tcp dnat ip to ip daddr map @backends-3-tcp-80-8080-2 : 8080',
];

// The nftables mode's rendering without a kernel: what goes into each map and
// chain, and the order of a partial transaction (the kernel refuses to delete
// a chain something still jumps to). nftables.e2e.test.ts runs it for real.

const OPTS: NftOptions = { masqueradeAll: false, clusterCIDR: '10.244.0.0/16', nodePortIPs: [], masqueradeMark: '0x4000' };

function svc(name: string, spec: Service['spec']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec };
}

function slice(svcName: string, ips: string[], addressType = 'IPv4'): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svcName}-${addressType}`, namespace: 'default', labels: { 'kubernetes.io/service-name': svcName } },
    addressType,
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: 'n1' })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

describe('nftables rule rendering', () => {
  const web = svc('web', { type: 'NodePort', clusterIP: '10.0.0.10', ports: [{ name: 'http', port: 80, nodePort: 30001 }] });
  const sp = servicePorts(web)[0]!;

  it('maps the cluster IP to lb-N-proto-port-target and a backends- map per index, the node port to the service chains, which balance with numgen and DNAT', () => {
    const state = new ProxyState('n1');
    state.setService(web, 'default/web');
    state.setSlice(slice('web', ['10.244.1.2', '10.244.1.3', '10.244.1.4']), false);
    const r = renderService(state.resolve('default/web'), OPTS);
    const chain = serviceChain(sp, 'tcp');
    assert.match(chain, /^service-[A-Z2-7]{8}-default\/web\/tcp\/http$/);
    // The service's own traffic: no chain of its own, its ClusterIP in one backends- map per index (the protocol and ports are the chain's).
    assert.deepEqual([...r.elements['service-ips']], [['10.0.0.10 . tcp . 80', 'goto lb-3-tcp-80-8080']]);
    assert.deepEqual([...r.lbs], ['3-tcp-80-8080']);
    assert.deepEqual([...r.backends], [
      ['3-tcp-80-8080-0', new Map([['10.0.0.10', '10.244.1.2']])],
      ['3-tcp-80-8080-1', new Map([['10.0.0.10', '10.244.1.3']])],
      ['3-tcp-80-8080-2', new Map([['10.0.0.10', '10.244.1.4']])],
    ]);
    assert.deepEqual([...r.elements['service-nodeports']], [['tcp . 30001', `goto ${externalChain(sp, 'tcp')}`]]);
    // Masqueraded by lb-3-tcp-80-8080 itself: no masquerade-services element.
    assert.equal(r.elements['masquerade-services'].size, 0);
    assert.deepEqual(r.chains.get(chain), [
      'meta l4proto tcp numgen random mod 3 0 dnat ip to 10.244.1.2:8080',
      'meta l4proto tcp numgen random mod 2 0 dnat ip to 10.244.1.3:8080',
      'meta l4proto tcp dnat ip to 10.244.1.4:8080',
    ]);
    assert.deepEqual(r.chains.get(externalChain(sp, 'tcp')), ['jump mark-for-masquerade', `goto ${chain}`]);
    const ids = new Set<string>();
    const text = assembleFull([r], OPTS, ids);
    assert.deepEqual([...ids], ['3-tcp-80-8080']);
    assert.match(text, /^add table ip kube-proxy .*\ndelete table ip kube-proxy\nadd table ip kube-proxy/);
    const lines = text.split('\n');
    const at = lines.indexOf(LB3_DECLARATION[0]!);
    assert.ok(at > 0, text);
    // A cascade: rule i takes 1/(3-i) of what reaches it, from map i.
    assert.deepEqual(lines.slice(at, at + 8), LB3_DECLARATION);
    assert.ok(lines.includes('add element ip kube-proxy backends-3-tcp-80-8080-0 { 10.0.0.10 : 10.244.1.2 }'), text);
    assert.ok(lines.includes('add element ip kube-proxy backends-3-tcp-80-8080-2 { 10.0.0.10 : 10.244.1.4 }'), text);
    assert.ok(text.indexOf('add chain ip kube-proxy lb-3-tcp-80-8080') < text.indexOf('add element ip kube-proxy service-ips'));
    // Masquerading of outside traffic: one rule ahead of the dispatch, the service's key in the set.
    assert.match(text, /add rule ip kube-proxy services ip saddr != 10\.244\.0\.0\/16 ip daddr \. meta l4proto \. th dport @masquerade-services jump mark-for-masquerade\nadd rule ip kube-proxy services ip daddr \. meta l4proto \. th dport vmap @service-ips\n/);
    assert.ok(text.indexOf(`add chain ip kube-proxy ${chain}`) < text.indexOf('add element ip kube-proxy service-ips'));
    // Hairpin: no element per endpoint; the rule fills the set with each DNATed connection's daddr . daddr and finds saddr . daddr there only when they are equal.
    assert.ok(!text.includes('add element ip kube-proxy endpoint-hairpin'), text);
    assert.match(text, /\nadd set ip kube-proxy endpoint-hairpin \{ type ipv4_addr \. ipv4_addr ; flags dynamic,timeout ; timeout 10s ; size 65535 ; /);
    assert.match(text, /\nadd rule ip kube-proxy masquerading ct status dnat update @endpoint-hairpin \{ ip daddr \. ip daddr \} ip saddr \. ip daddr @endpoint-hairpin jump mark-for-masquerade\n/);
  });

  it('sends a service without endpoints to reject-chain and writes no chain for it', () => {
    const state = new ProxyState('n1');
    state.setService(web, 'default/web');
    const r = renderService(state.resolve('default/web'), OPTS);
    assert.equal(r.chains.size, 0);
    assert.deepEqual([...r.elements['no-endpoint-services']], [['10.0.0.10 . tcp . 80', 'goto reject-chain']]);
    assert.deepEqual([...r.elements['no-endpoint-nodeports']], [['tcp . 30001', 'goto reject-chain']]);
  });

  it('a partial sync rewrites only the changed chain; a deletion removes elements before chains', () => {
    const state = new ProxyState('n1');
    state.setService(web, 'default/web');
    state.setSlice(slice('web', ['10.244.1.2', '10.244.1.3']), false);
    const before = renderService(state.resolve('default/web'), OPTS);
    state.setSlice(slice('web', ['10.244.1.2', '10.244.1.5']), false);
    const after = renderService(state.resolve('default/web'), OPTS);
    const chain = serviceChain(sp, 'tcp');
    const change = assemblePartial([{ before, after }], OPTS, new Set(['2-tcp-80-8080']));
    assert.deepEqual(change.trim().split('\n'), [
      'delete element ip kube-proxy backends-2-tcp-80-8080-1 { 10.0.0.10 }',
      `flush chain ip kube-proxy ${chain}`,
      `add rule ip kube-proxy ${chain} meta l4proto tcp numgen random mod 2 0 dnat ip to 10.244.1.2:8080`,
      `add rule ip kube-proxy ${chain} meta l4proto tcp dnat ip to 10.244.1.5:8080`,
      'add element ip kube-proxy backends-2-tcp-80-8080-1 { 10.0.0.10 : 10.244.1.5 }',
    ]);
    assert.equal(assemblePartial([{ before: after, after }], OPTS, new Set(['2-tcp-80-8080'])), '');
    const gone = assemblePartial([{ before: after }]).trim().split('\n');
    const ext = externalChain(sp, 'tcp');
    assert.deepEqual(gone.slice(0, 4), [
      'delete element ip kube-proxy service-ips { 10.0.0.10 . tcp . 80 }',
      'delete element ip kube-proxy service-nodeports { tcp . 30001 }',
      'delete element ip kube-proxy backends-2-tcp-80-8080-0 { 10.0.0.10 }',
      'delete element ip kube-proxy backends-2-tcp-80-8080-1 { 10.0.0.10 }',
    ]);
    assert.deepEqual(gone.slice(4).sort(), [`delete chain ip kube-proxy ${chain}`, `delete chain ip kube-proxy ${ext}`, `flush chain ip kube-proxy ${chain}`, `flush chain ip kube-proxy ${ext}`].sort());
    assert.ok(gone.findIndex((l) => l.startsWith('delete chain')) > gone.findLastIndex((l) => l.startsWith('flush chain')));
  });

  it('a ClusterIP service is map elements only: an endpoint change writes no rule, a new endpoint count creates lb-N once', () => {
    const plain = svc('p', { clusterIP: '10.0.0.12', ports: [{ name: 'http', port: 80 }] });
    const state = new ProxyState('n1');
    state.setService(plain, 'default/p');
    state.setSlice(slice('p', ['10.244.1.2', '10.244.1.3']), false);
    const two = renderService(state.resolve('default/p'), OPTS);
    assert.equal(two.chains.size, 0);
    assert.equal(two.elements['service-ips'].get('10.0.0.12 . tcp . 80'), 'goto lb-2-tcp-80-8080');
    state.setSlice(slice('p', ['10.244.1.2', '10.244.1.3', '10.244.1.4']), false);
    const three = renderService(state.resolve('default/p'), OPTS);
    const lb = new Set(['2-tcp-80-8080']);
    const lines = assemblePartial([{ before: two, after: three }], OPTS, lb).trim().split('\n');
    assert.deepEqual(lines, [
      ...LB3_DECLARATION,
      'delete element ip kube-proxy service-ips { 10.0.0.12 . tcp . 80 }',
      'delete element ip kube-proxy backends-2-tcp-80-8080-0 { 10.0.0.12 }',
      'delete element ip kube-proxy backends-2-tcp-80-8080-1 { 10.0.0.12 }',
      'add element ip kube-proxy service-ips { 10.0.0.12 . tcp . 80 : goto lb-3-tcp-80-8080 }',
      'add element ip kube-proxy backends-3-tcp-80-8080-0 { 10.0.0.12 : 10.244.1.2 }',
      'add element ip kube-proxy backends-3-tcp-80-8080-1 { 10.0.0.12 : 10.244.1.3 }',
      'add element ip kube-proxy backends-3-tcp-80-8080-2 { 10.0.0.12 : 10.244.1.4 }',
    ]);
    assert.deepEqual([...lb], ['2-tcp-80-8080', '3-tcp-80-8080']);
    // lb-3-tcp-80-8080 exists now: going back to three endpoints later does not declare it again.
    assert.ok(!assemblePartial([{ before: two, after: three }], OPTS, lb).includes('add chain'));
    // --masquerade-all: lb chains masquerade everything.
    assert.ok(assemblePartial([{ after: three }], { masqueradeAll: true }).includes('\nadd rule ip kube-proxy lb-3-tcp-80-8080 jump mark-for-masquerade\n'));
    // internalTrafficPolicy Local: the local endpoints only.
    state.setService(svc('p', { ...plain.spec, internalTrafficPolicy: 'Local' }), 'default/p');
    state.setSlice({ ...slice('p', ['10.244.1.2', '10.244.1.3']), endpoints: [{ addresses: ['10.244.1.2'], nodeName: 'n1' }, { addresses: ['10.244.1.3'], nodeName: 'n2' }] }, false);
    const local = renderService(state.resolve('default/p'), OPTS);
    assert.equal(local.chains.size, 0);
    assert.deepEqual([...local.backends], [['1-tcp-80-8080-0', new Map([['10.0.0.12', '10.244.1.2']])]]);
  });

  it('once the budget of split maps is spent (lbSplit says no), a service uses the lb chain with one map', () => {
    const state = new ProxyState('n1');
    state.setService(svc('p', { clusterIP: '10.0.0.12', ports: [{ name: 'http', port: 80 }] }), 'default/p');
    state.setSlice(slice('p', ['10.244.1.2', '10.244.1.3']), false);
    const asked: Array<[string, number]> = [];
    const r = renderService(state.resolve('default/p'), { ...OPTS, lbSplit: (id, n) => (asked.push([id, n]), false) });
    assert.deepEqual(asked, [['2-tcp-80-8080', 2]]);
    assert.equal(r.elements['service-ips'].get('10.0.0.12 . tcp . 80'), 'goto lb-2-tcp-8080');
    assert.deepEqual([...r.backends], [['2-tcp-8080', new Map([['10.0.0.12 . 80 . 0', '10.244.1.2'], ['10.0.0.12 . 80 . 1', '10.244.1.3']])]]);
  });

  it(`over ${LB_SPLIT_MAX} endpoints: one backends- map per lb chain, keyed by ClusterIP . port . random index`, () => {
    const big = svc('big', { clusterIP: '10.0.0.14', ports: [{ name: 'http', port: 80 }] });
    const state = new ProxyState('n1');
    state.setService(big, 'default/big');
    const ips = Array.from({ length: LB_SPLIT_MAX + 1 }, (_, i) => `10.244.2.${i + 10}`);
    state.setSlice(slice('big', ips), false);
    const r = renderService(state.resolve('default/big'), OPTS);
    const n = LB_SPLIT_MAX + 1;
    const id = `${n}-tcp-8080`;
    assert.equal(r.elements['service-ips'].get('10.0.0.14 . tcp . 80'), `goto lb-${id}`);
    assert.deepEqual([...r.backends.keys()], [id]);
    assert.deepEqual([...r.backends.get(id)!], ips.map((ip, k) => [`10.0.0.14 . 80 . ${k}`, ip]));
    const lines = assembleFull([r], OPTS).split('\n');
    assert.ok(lines.includes(`add map ip kube-proxy backends-${id} { typeof ip daddr . th dport . numgen random mod ${n} : ip daddr ; comment "ip . port . index: the endpoints of tcp services with ${n}, on port 8080" ; }`), lines.join('\n'));
    assert.ok(lines.includes(`add rule ip kube-proxy lb-${id} meta l4proto tcp dnat ip to ip daddr . th dport . numgen random mod ${n} map @backends-${id} : 8080`));
    assert.ok(lines.includes(`add element ip kube-proxy backends-${id} { ${ips.map((ip, k) => `10.0.0.14 . 80 . ${k} : ${ip}`).join(', ')} }`));
  });

  it('endpoints that differ in port (a named targetPort resolved per pod): a chain of the service, as lb has one port', () => {
    const named = svc('np', { clusterIP: '10.0.0.13', ports: [{ name: 'http', port: 80 }] });
    const state = new ProxyState('n1');
    state.setService(named, 'default/np');
    state.setSlice({ ...slice('np', ['10.244.1.2']), metadata: { name: 'np-a', namespace: 'default', labels: { 'kubernetes.io/service-name': 'np' } } }, false);
    state.setSlice({ ...slice('np', ['10.244.1.3']), metadata: { name: 'np-b', namespace: 'default', labels: { 'kubernetes.io/service-name': 'np' } }, ports: [{ name: 'http', port: 9090, protocol: 'TCP' }] }, false);
    const r = renderService(state.resolve('default/np'), OPTS);
    const chain = serviceChain(servicePorts(named)[0]!, 'tcp');
    assert.equal(r.backends.size, 0);
    assert.equal(r.elements['service-ips'].get('10.0.0.13 . tcp . 80'), `goto ${chain}`);
    assert.deepEqual([...r.elements['masquerade-services'].keys()], ['10.0.0.13 . tcp . 80']);
    assert.deepEqual(r.chains.get(chain), ['meta l4proto tcp numgen random mod 2 0 dnat ip to 10.244.1.2:8080', 'meta l4proto tcp dnat ip to 10.244.1.3:9090']);
  });

  it('ClientIP affinity: a dynamic set per endpoint, checked first and refreshed by each connection', () => {
    const sticky = svc('s', { clusterIP: '10.0.0.11', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }, ports: [{ name: 'http', port: 80 }] });
    const state = new ProxyState('n1');
    state.setService(sticky, 'default/s');
    state.setSlice(slice('s', ['10.244.1.2', '10.244.1.3']), false);
    const before = renderService(state.resolve('default/s'), OPTS);
    const chain = serviceChain(servicePorts(sticky)[0]!, 'tcp');
    const set2 = `affinity-${chain.slice('service-'.length)}__10.244.1.2/8080`;
    const set3 = `affinity-${chain.slice('service-'.length)}__10.244.1.3/8080`;
    const rules = before.chains.get(chain)!;
    assert.equal(before.backends.size, 0);
    assert.equal(before.elements['service-ips'].get('10.0.0.11 . tcp . 80'), `goto ${chain}`);
    // No lb-N: masqueraded by the rule in `services`.
    assert.deepEqual([...before.elements['masquerade-services'].keys()], ['10.0.0.11 . tcp . 80']);
    assert.equal(rules[0], `ip saddr @${set2} meta l4proto tcp update @${set2} { ip saddr timeout 60s } dnat ip to 10.244.1.2:8080`);
    assert.equal(rules[2], `meta l4proto tcp numgen random mod 2 0 update @${set2} { ip saddr timeout 60s } dnat ip to 10.244.1.2:8080`);
    assert.ok(assembleFull([before], OPTS).includes(`add set ip kube-proxy ${set2} { type ipv4_addr ; flags dynamic,timeout ; }`));
    // An endpoint leaves: its set goes, after the chain that used it was rewritten.
    state.setSlice(slice('s', ['10.244.1.2']), false);
    const after = renderService(state.resolve('default/s'), OPTS);
    const lines = assemblePartial([{ before, after }]).trim().split('\n');
    assert.equal(lines.at(-1), `delete set ip kube-proxy ${set3}`);
    assert.ok(lines.indexOf(`flush chain ip kube-proxy ${chain}`) < lines.length - 1);
  });

  it('a dual-stack service: its IPv4 half in table ip, its IPv6 half in table ip6 with bracketed DNAT targets', () => {
    const ds = svc('ds', { clusterIP: '10.0.0.20', clusterIPs: ['10.0.0.20', 'fd00:96::20'], ipFamilies: ['IPv4', 'IPv6'], ports: [{ name: 'http', port: 80 }] } as Service['spec']);
    const state = new ProxyState('n1');
    state.setService(ds, 'default/ds');
    state.setSlice(slice('ds', ['10.244.1.2']), false);
    state.setSlice(slice('ds', ['fd00:244::2', 'fd00:244::3'], 'IPv6'), false);
    const v6opts: NftOptions = { ...OPTS, family: 'ip6', clusterCIDR: 'fd00:244::/64' };
    const v4 = renderService(state.resolve('default/ds', 'IPv4'), OPTS);
    const v6 = renderService(state.resolve('default/ds', 'IPv6'), v6opts);
    assert.deepEqual([...v4.elements['service-ips'].keys()], ['10.0.0.20 . tcp . 80']);
    assert.deepEqual([...v6.elements['service-ips'].keys()], ['fd00:96::20 . tcp . 80']);
    assert.equal(v6.chains.size, 0);
    assert.deepEqual([...v6.backends], [
      ['2-tcp-80-8080-0', new Map([['fd00:96::20', 'fd00:244::2']])],
      ['2-tcp-80-8080-1', new Map([['fd00:96::20', 'fd00:244::3']])],
    ]);
    const text = assembleFull([v6], v6opts);
    assert.match(text, /add map ip6 kube-proxy backends-2-tcp-80-8080-0 \{ type ipv6_addr : ipv6_addr ; /);
    assert.match(text, /add rule ip6 kube-proxy lb-2-tcp-80-8080 meta l4proto tcp numgen random mod 2 0 dnat ip6 to ip6 daddr map @backends-2-tcp-80-8080-0 : 8080\n/);
    assert.match(text, /^add table ip6 kube-proxy /);
    assert.ok(!/ ip kube-proxy /.test(text), 'an IPv6 table line names table ip');
    assert.match(text, /add map ip6 kube-proxy service-ips \{ type ipv6_addr \. inet_proto/);
    assert.match(text, /fib daddr type local ip6 daddr != ::1 meta l4proto/);
    assert.match(text, /services ip6 saddr != fd00:244::\/64 ip6 daddr \. meta l4proto \. th dport @masquerade-services jump mark-for-masquerade/);
    assert.match(text, /add rule ip6 kube-proxy masquerading ct status dnat update @endpoint-hairpin \{ ip6 daddr \. ip6 daddr \} ip6 saddr \. ip6 daddr @endpoint-hairpin jump mark-for-masquerade\n/);
    // A single-stack IPv4 service has nothing in the IPv6 table.
    state.setService(web, 'default/web');
    assert.deepEqual(state.resolve('default/web', 'IPv6'), []);
    // Affinity set names hold no colons.
    const sticky = renderService(state.resolve('default/ds', 'IPv6').map((p) => ({ ...p, sp: { ...p.sp, stickySeconds: 30 } })), v6opts);
    const chain = serviceChain(servicePorts(ds, 'IPv6')[0]!, 'tcp');
    assert.equal(sticky.chains.get(chain)!.at(-1), 'meta l4proto tcp update @affinity-' + chain.slice('service-'.length) + '__fd00.244..3/8080 { ip6 saddr timeout 30s } dnat ip6 to [fd00:244::3]:8080');
    assert.ok([...sticky.affinity].every((n) => !n.includes(':')), [...sticky.affinity].join(' '));
  });

  it('LoadBalancer ingress IPs go to the external chain; loadBalancerSourceRanges fill firewall-ips and a firewall chain', () => {
    const lb: Service = {
      ...svc('lb', { type: 'LoadBalancer', clusterIP: '10.0.0.30', loadBalancerSourceRanges: ['172.30.0.0/16', '2001:db8::/32'], ports: [{ name: 'http', port: 80, nodePort: 30090 }] }),
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }, { hostname: 'lb.example' }] } },
    };
    const state = new ProxyState('n1');
    state.setService(lb, 'default/lb');
    state.setSlice(slice('lb', ['10.244.1.2']), false);
    const sp2 = servicePorts(lb)[0]!;
    assert.deepEqual(sp2.loadBalancerIPs, ['192.0.2.10']);
    assert.deepEqual(sp2.sourceRanges, ['172.30.0.0/16']);
    const r = renderService(state.resolve('default/lb'), OPTS);
    const ext = externalChain(sp2, 'tcp');
    const fw = firewallChain(sp2, 'tcp');
    assert.equal(r.elements['service-ips'].get('192.0.2.10 . tcp . 80'), `goto ${ext}`);
    assert.equal(r.elements['firewall-ips'].get('192.0.2.10 . tcp . 80'), `goto ${fw}`);
    assert.deepEqual(r.chains.get(fw), ['ip saddr != { 172.30.0.0/16 } drop']);
    assert.equal(r.elements['service-ips'].get('10.0.0.30 . tcp . 80'), 'goto lb-1-tcp-80-8080');
    const text = assembleFull([r], OPTS);
    assert.match(text, /add rule ip kube-proxy filter-prerouting ct state new jump firewall-check/);
    assert.match(text, /add rule ip kube-proxy firewall-check ip daddr \. meta l4proto \. th dport vmap @firewall-ips/);
    // Ranges removed: the firewall element and chain go in a partial sync.
    const open: Service = { ...lb, spec: { ...lb.spec, loadBalancerSourceRanges: [] } };
    state.setService(open, 'default/lb');
    const after = renderService(state.resolve('default/lb'), OPTS);
    const lines = assemblePartial([{ before: r, after }]).trim().split('\n');
    assert.ok(lines.includes('delete element ip kube-proxy firewall-ips { 192.0.2.10 . tcp . 80 }'), lines.join('\n'));
    assert.ok(lines.includes(`delete chain ip kube-proxy ${fw}`), lines.join('\n'));
  });

  it('accepts forwarded service traffic (masquerade-marked or established) as the iptables mode does', () => {
    const text = assembleFull([], OPTS);
    const fwd = text.split('\n').filter((l) => l.startsWith('add rule ip kube-proxy filter-forward '));
    assert.deepEqual(fwd.map((l) => l.slice('add rule ip kube-proxy filter-forward '.length)), [
      'ct state new jump service-endpoints-check',
      'mark and 0x4000 == 0x4000 accept',
      'ct state established,related accept',
    ]);
  });
});
