// A pod's resolver settings by dnsPolicy, as upstream's kubelet forms them.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { podDnsConfig, type DnsSettings } from '../../src/kubelet/pod/dns.js';
import { parseResolvConf } from '../../src/util/resolv-conf.js';

const host = parseResolvConf('# host\nnameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example lab.example\noptions edns0 timeout:2\n');
const settings: DnsSettings = { clusterDNS: ['10.0.0.10'], clusterDomain: 'cluster.local', resolvConf: '/etc/resolv.conf', nodeIPs: ['192.0.2.7'] };
const pod = (spec: Record<string, unknown>, namespace = 'team-a') => ({ metadata: { name: 'p', namespace, uid: 'u1' }, spec });

function collect(): { warn: (r: string, m: string) => void; events: string[] } {
  const events: string[] = [];
  return { events, warn: (r, m) => events.push(`${r}: ${m}`) };
}

describe('pod DNS by dnsPolicy', () => {
  it('ClusterFirst: the cluster DNS, the namespace search path before the host\'s, ndots:5', () => {
    const c = collect();
    assert.deepEqual(podDnsConfig(pod({}), settings, c.warn, host), {
      servers: ['10.0.0.10'],
      searches: ['team-a.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example'],
      options: ['ndots:5'],
    });
    assert.deepEqual(c.events, []);
  });

  it('ClusterFirst on the host network falls back to Default; ClusterFirstWithHostNet does not', () => {
    const c = collect();
    assert.deepEqual(podDnsConfig(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirst' }), settings, c.warn, host), { servers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example', 'lab.example'], options: ['edns0', 'timeout:2'] });
    assert.deepEqual(podDnsConfig(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), settings, c.warn, host).servers, ['10.0.0.10']);
  });

  it('Default copies the host; None starts empty and takes dnsConfig', () => {
    const c = collect();
    assert.deepEqual(podDnsConfig(pod({ dnsPolicy: 'Default' }), settings, c.warn, host).servers, ['192.0.2.53', '192.0.2.54']);
    const none = podDnsConfig(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.2.3.4'], searches: ['x.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }), settings, c.warn, host);
    assert.deepEqual(none, { servers: ['1.2.3.4'], searches: ['x.example'], options: ['ndots:2', 'edns0'] });
  });

  it('dnsConfig merges on top: duplicates dropped, options overridden by name', () => {
    const c = collect();
    const got = podDnsConfig(pod({ dnsConfig: { nameservers: ['10.0.0.10', '1.1.1.1'], searches: ['svc.cluster.local', 'extra.example'], options: [{ name: 'ndots', value: '1' }, { name: 'single-request' }] } }), settings, c.warn, host);
    assert.deepEqual(got.servers, ['10.0.0.10', '1.1.1.1']);
    assert.deepEqual(got.searches, ['team-a.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example', 'extra.example']);
    assert.deepEqual(got.options, ['ndots:1', 'single-request']);
  });

  it('cuts to upstream\'s limits with a DNSConfigForming warning', () => {
    const c = collect();
    const many = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
    const got = podDnsConfig(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3', '4.4.4.4'], searches: many } }), settings, c.warn, host);
    assert.deepEqual(got.servers, ['1.1.1.1', '2.2.2.2', '3.3.3.3']);
    assert.equal(got.searches.length, 32);
    assert.deepEqual(c.events, [
      'DNSConfigForming: Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 1.1.1.1 2.2.2.2 3.3.3.3',
      `DNSConfigForming: Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${many.slice(0, 32).join(' ')}`,
    ]);
    const long = podDnsConfig(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['a'.repeat(254), 'ok.example'] } }), settings, () => undefined, host);
    assert.deepEqual(long.searches, ['ok.example']);
  });

  it('without --cluster-dns a ClusterFirst pod falls back to Default with a MissingClusterDNS warning', () => {
    const c = collect();
    const got = podDnsConfig(pod({}), { ...settings, clusterDNS: [] }, c.warn, host);
    assert.deepEqual(got.servers, ['192.0.2.53', '192.0.2.54']);
    assert.match(c.events[0]!, /^MissingClusterDNS: pod: "p_team-a\(u1\)". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.$/);
  });

  it('--resolv-conf "" gives Default pods the local resolver and search "."', () => {
    const got = podDnsConfig(pod({ dnsPolicy: 'Default' }), { ...settings, resolvConf: '' }, () => undefined);
    assert.deepEqual(got, { servers: ['127.0.0.1'], searches: ['.'], options: [] });
  });
});

it('/etc/hosts: a pod with a subdomain also carries its FQDN (a StatefulSet ordinal under its headless Service)', async () => {
  const { writeEtcHosts } = await import('../../src/kubelet/pod/container-config.js');
  const { mkdtemp, readFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-etc-hosts-'));
  try {
    const sts = { metadata: { name: 'web-0', namespace: 'shop' }, spec: { hostname: 'web-0', subdomain: 'web-svc', containers: [] } } as never;
    const m = await writeEtcHosts(dir, sts, ['10.244.0.7'], 'cluster.local');
    assert.equal(m.containerPath, '/etc/hosts');
    assert.match(await readFile(m.hostPath, 'utf8'), /\n10\.244\.0\.7\tweb-0\.web-svc\.shop\.svc\.cluster\.local\tweb-0\n$/);
    const plain = { metadata: { name: 'solo', namespace: 'shop' }, spec: { containers: [] } } as never;
    assert.match(await readFile((await writeEtcHosts(dir, plain, ['10.244.0.8'], 'cluster.local')).hostPath, 'utf8'), /\n10\.244\.0\.8\tsolo\n$/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
