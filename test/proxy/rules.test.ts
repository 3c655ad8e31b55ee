import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { portProtoHash, svcChain, sepChain } from '../../src/proxy/names.js';
import { renderService, assemble, assemblePartial, probability, type RuleOptions } from '../../src/proxy/iptables/rules.js';
import { ProxyState, categorize, servicePorts, endpointsByPortName } from '../../src/proxy/state.js';
import { parseSave } from '../../src/proxy/iptables/save.js';
import { loopbackFor } from '../../src/proxy/userspace/proxier.js';
import type { EndpointSlice, Service } from '../../src/proxy/types.js';

const OPTS: RuleOptions = { masqueradeAll: false, clusterCIDR: '10.244.0.0/16', nodePortIPs: [], masqueradeMark: '0x4000', randomFully: true };

function svc(name: string, spec: Service['spec']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec };
}

function slice(svcName: string, ips: Array<[string, boolean?, string?]>, port = 8080, portName = 'http'): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svcName}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': svcName } },
    addressType: 'IPv4',
    endpoints: ips.map(([ip, ready, node]) => ({ addresses: [ip], conditions: { ready: ready ?? true }, nodeName: node ?? 'n1' })),
    ports: [{ name: portName, port, protocol: 'TCP' }],
  };
}

describe('proxy chain names', () => {
  it('hashes like upstream (the kubernetes service is KUBE-SVC-NPX46M4PTMTKRN6Y on every cluster)', () => {
    assert.equal(svcChain('default/kubernetes:https', 'tcp'), 'KUBE-SVC-NPX46M4PTMTKRN6Y');
    assert.equal(portProtoHash('default/kubernetes:https', 'tcp').length, 16);
    assert.match(sepChain('default/kubernetes:https', 'tcp', '10.0.0.1:6443'), /^KUBE-SEP-[A-Z2-7]{16}$/);
    assert.notEqual(sepChain('a/b:c', 'tcp', '1.1.1.1:80'), sepChain('a/b:c', 'tcp', '1.1.1.2:80'));
  });
});

describe('proxy rule rendering', () => {
  it('probabilities are 1/n with ten decimals, as upstream writes them', () => {
    assert.equal(probability(3), '0.3333333333');
    assert.equal(probability(2), '0.5000000000');
  });

  it('renders cluster IP → SVC → SEP with masquerade of off-cluster sources and hairpin', () => {
    const state = new ProxyState('n1');
    state.setService(svc('web', { clusterIP: '10.0.0.10', ports: [{ name: 'http', port: 80, targetPort: 'www' }] }), 'default/web');
    state.setSlice(slice('web', [['10.244.1.2'], ['10.244.1.3'], ['10.244.1.4', false]]), false);
    const r = renderService(state.resolve('default/web'), OPTS, false);
    const chain = svcChain('default/web:http', 'tcp');
    assert.deepEqual(r.natServices, [`-A KUBE-SERVICES -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.0.0.10 --dport 80 -j ${chain}`]);
    const rules = r.chains.get(chain)!;
    assert.equal(rules[0], `-A ${chain} -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.0.0.10 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`);
    assert.match(rules[1]!, /--probability 0.5000000000 -j KUBE-SEP-/);
    assert.doesNotMatch(rules[2]!, /statistic/);
    // The not-ready endpoint gets no chain; the named targetPort resolved to the slice's 8080.
    const seps = [...r.chains.keys()].filter((c) => c.startsWith('KUBE-SEP-'));
    assert.equal(seps.length, 2);
    const sep = r.chains.get(sepChain('default/web:http', 'tcp', '10.244.1.2:8080'))!;
    assert.deepEqual(sep, [
      `-A ${sepChain('default/web:http', 'tcp', '10.244.1.2:8080')} -m comment --comment "default/web:http" -s 10.244.1.2 -j KUBE-MARK-MASQ`,
      `-A ${sepChain('default/web:http', 'tcp', '10.244.1.2:8080')} -m comment --comment "default/web:http" -m tcp -p tcp -j DNAT --to-destination 10.244.1.2:8080`,
    ]);
  });

  it('a service without endpoints is rejected in the filter table and has no nat chains', () => {
    const state = new ProxyState('n1');
    state.setService(svc('none', { clusterIP: '10.0.0.11', type: 'NodePort', ports: [{ port: 80, nodePort: 30001 }] }), 'default/none');
    const r = renderService(state.resolve('default/none'), OPTS, false);
    assert.equal(r.chains.size, 0);
    assert.deepEqual(r.filterServices, ['-A KUBE-SERVICES -m comment --comment "default/none has no endpoints" -m tcp -p tcp -d 10.0.0.11 --dport 80 -j REJECT']);
    assert.deepEqual(r.filterExternal, ['-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/none has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30001 -j REJECT']);
  });

  it('falls back to serving, terminating endpoints when none is ready', () => {
    const sp = servicePorts(svc('t', { clusterIP: '10.0.0.12', ports: [{ name: 'http', port: 80 }] }))[0]!;
    const s = slice('t', [['10.244.1.2', false]]);
    s.endpoints![0]!.conditions = { ready: false, serving: true, terminating: true };
    const eps = endpointsByPortName([s], 'n1').get('http')!;
    assert.equal(categorize(sp, eps).cluster.length, 1);
  });

  it('ClientIP affinity adds recent checks before the random split', () => {
    const state = new ProxyState('n1');
    state.setService(svc('s', { clusterIP: '10.0.0.13', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }, ports: [{ name: 'http', port: 80 }] }), 'default/s');
    state.setSlice(slice('s', [['10.244.1.2'], ['10.244.1.3']]), false);
    const r = renderService(state.resolve('default/s'), OPTS, true);
    const rules = r.chains.get(svcChain('default/s:http', 'tcp'))!;
    assert.match(rules[1]!, /^-A KUBE-SVC-\S+ -m recent --name KUBE-SEP-\S+ --rcheck --seconds 60 --reap -j KUBE-SEP-/);
    const sep = r.chains.get(sepChain('default/s:http', 'tcp', '10.244.1.2:8080'))!;
    // Large-cluster mode drops comments, as upstream.
    assert.match(sep[1]!, /^-A KUBE-SEP-\S+ -m recent --name KUBE-SEP-\S+ --set -m tcp -p tcp -j DNAT/);
  });

  it('skips headless and ExternalName services', () => {
    assert.deepEqual(servicePorts(svc('h', { clusterIP: 'None', ports: [{ port: 80 }] })), []);
    assert.deepEqual(servicePorts(svc('e', { type: 'ExternalName', ports: [{ port: 80 }] })), []);
  });

  it('assembles one transaction: fixed chains, NodePort catch-all last, deletions after rules', () => {
    const state = new ProxyState('n1');
    state.setService(svc('web', { clusterIP: '10.0.0.10', ports: [{ name: 'http', port: 80 }] }), 'default/web');
    state.setSlice(slice('web', [['10.244.1.2']]), false);
    const r = renderService(state.resolve('default/web'), OPTS, false);
    const text = assemble({ all: [r], changed: [r], deleteChains: ['KUBE-SVC-OLD'], jumps: { filter: [], nat: ['-I PREROUTING -j KUBE-SERVICES'] } }, OPTS);
    const lines = text.trim().split('\n');
    assert.equal(lines[0], '*filter');
    const natAt = lines.indexOf('*nat');
    const svcRules = lines.filter((l) => l.startsWith('-A KUBE-SERVICES')).map((l) => lines.indexOf(l));
    assert.ok(lines[svcRules.at(-1)!]!.includes('this must be the last rule'));
    assert.ok(lines.indexOf('-X KUBE-SVC-OLD') > natAt);
    assert.ok(lines.indexOf(':KUBE-SVC-OLD - [0:0]') < lines.indexOf('-I PREROUTING -j KUBE-SERVICES'));
    assert.equal(lines.at(-1), 'COMMIT');
    const parsed = parseSave(text);
    assert.ok(parsed.get('nat')!.chains.has(svcChain('default/web:http', 'tcp')));
  });

  it('a partial sync deletes and inserts single top-level rules, new ClusterIP rules first', () => {
    const state = new ProxyState('n1');
    state.setService(svc('web', { clusterIP: '10.0.0.10', ports: [{ name: 'http', port: 80 }] }), 'default/web');
    const before = renderService(state.resolve('default/web'), OPTS, false);
    state.setSlice(slice('web', [['10.244.1.2']]), false);
    const after = renderService(state.resolve('default/web'), OPTS, false);
    const text = assemblePartial([{ before, after }], []);
    assert.match(text, /^\*filter\n-D KUBE-SERVICES -m comment --comment "default\/web:http has no endpoints" .* -j REJECT\nCOMMIT\n/);
    assert.match(text, /\n-I KUBE-SERVICES 1 -m comment --comment "default\/web:http cluster IP" .* -j KUBE-SVC-CDGGSHYLG3RE2FKL/);
    assert.doesNotMatch(text, /:KUBE-SERVICES/);
    // Nothing changed: nothing to send.
    assert.equal(assemblePartial([{ before: after, after }], []), '');
  });

  it('--masquerade-all marks every ClusterIP connection; --nodeport-addresses limits the NodePort catch-all', () => {
    const state = new ProxyState('n1');
    state.setService(svc('web', { clusterIP: '10.0.0.10', ports: [{ name: 'http', port: 80 }] }), 'default/web');
    state.setSlice(slice('web', [['10.244.1.2']]), false);
    const opts = { ...OPTS, masqueradeAll: true, nodePortIPs: ['192.168.1.5'] };
    const r = renderService(state.resolve('default/web'), opts, false);
    assert.match(r.chains.get(svcChain('default/web:http', 'tcp'))![0]!, /--dport 80 -j KUBE-MARK-MASQ$/);
    const text = assemble({ all: [r], changed: [r], deleteChains: [], jumps: { filter: [], nat: [] } }, opts);
    assert.match(text, /-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 192.168.1.5 -j KUBE-NODEPORTS/);
    assert.doesNotMatch(text, /--dst-type LOCAL ! -d 127/);
  });

  it('marks only changed services dirty', () => {
    const state = new ProxyState('n1');
    state.setService(svc('a', { clusterIP: '10.0.0.20', ports: [{ port: 80 }] }), 'default/a');
    state.takeDirty();
    state.setSlice(slice('a', [['10.244.1.2']]), false);
    assert.deepEqual([...state.takeDirty()], ['default/a']);
    assert.equal(state.takeDirty().size, 0);
  });
});

describe('userspace addresses', () => {
  it('maps a ClusterIP to a loopback twin', () => {
    assert.equal(loopbackFor('10.0.0.15'), '127.1.0.15');
    assert.equal(loopbackFor('10.96.3.4'), '127.97.3.4');
  });
});
