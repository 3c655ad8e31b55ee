// The cluster DNS against a real API server: Services and EndpointSlices
// made through client-node, questions asked with node:dns (UDP, as a libc
// resolver does) and with dns-packet over TCP, names outside the domain
// forwarded to a stand-in upstream on loopback.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver as NodeResolver } from 'node:dns/promises';
import dgram from 'node:dgram';
import net from 'node:net';
import * as packet from 'dns-packet';
import * as k8s from '@kubernetes/client-node';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { RestClient } from '../../src/client/rest.js';
import { startClusterDns, type RunningClusterDns } from '../../src/dns/index.js';
import { eventually } from '../kubelet/harness.js';

/** A stand-in for the host's nameserver: example.test → 192.0.2.1, the rest NXDOMAIN. */
async function fakeUpstream(): Promise<{ port: number; close(): void; asked: string[] }> {
  const sock = dgram.createSocket('udp4');
  const asked: string[] = [];
  sock.on('message', (msg, r) => {
    const q = packet.decode(msg);
    const name = q.questions![0]!.name;
    asked.push(name);
    const answers = name === 'example.test' ? [{ type: 'A', name, ttl: 60, class: 'IN', data: '192.0.2.1' }] : [];
    sock.send(packet.encode({ id: q.id, type: 'response', flags: answers.length ? 0 : 3, questions: q.questions, answers } as packet.Packet), r.port, r.address);
  });
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
  return { port: sock.address().port, close: () => sock.close(), asked };
}

/** One question over TCP (two-byte length framing), the raw response back. */
function askTcp(port: number, name: string, type: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const q = packet.encode({ id: 4242, type: 'query', flags: packet.RECURSION_DESIRED, questions: [{ name, type: type as 'A', class: 'IN' }] });
    const head = Buffer.alloc(2);
    head.writeUInt16BE(q.length);
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        sock.end();
        resolve(packet.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      }
    });
    sock.on('error', reject);
    sock.write(Buffer.concat([head, q]));
  });
}

const code = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return (err as { code: string }).code;
  }
};

describe('cluster DNS', () => {
  let srv: TestServer;
  let core: k8s.CoreV1Api;
  let discovery: k8s.DiscoveryV1Api;
  let dns: RunningClusterDns;
  let client: RestClient;
  let upstream: Awaited<ReturnType<typeof fakeUpstream>>;
  let r: NodeResolver;
  let webIP: string;

  before(async () => {
    srv = await startTestServer({ secure: true });
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(srv.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
    const web = await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'dns', port: 53, protocol: 'UDP' }] } } });
    webIP = web.spec!.clusterIP!;
    // A StatefulSet's governing Service: headless, endpoints named by hostname.
    await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'nginx' }, spec: { clusterIP: 'None', selector: { app: 'nginx' }, ports: [{ name: 'web', port: 80 }] } } });
    await discovery.createNamespacedEndpointSlice({
      namespace: 'default',
      body: {
        metadata: { name: 'nginx-abc', labels: { 'kubernetes.io/service-name': 'nginx' } },
        addressType: 'IPv4',
        ports: [{ name: 'web', port: 80, protocol: 'TCP' }],
        endpoints: [
          { addresses: ['10.244.0.10'], hostname: 'web-0', conditions: { ready: true } },
          { addresses: ['10.244.0.11'], hostname: 'web-1', conditions: { ready: true } },
          { addresses: ['10.244.0.12'], conditions: { ready: false } },
        ],
      },
    });
    await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.test' } } });
    upstream = await fakeUpstream();
    // The DNS reads as its own identity: the bootstrap ClusterRole system:coredns must be enough.
    client = RestClient.fromKubeconfig(await srv.kubeconfigFor('system:coredns'), { component: 'dns-test' });
    dns = await startClusterDns({ client, address: '127.0.0.1', port: 0, upstreams: [{ host: '127.0.0.1', port: upstream.port }] });
    r = new NodeResolver({ timeout: 2000, tries: 2 });
    r.setServers([`127.0.0.1:${dns.port}`]);
  });

  after(async () => {
    await dns?.close();
    client?.close();
    upstream?.close();
    await srv?.close();
  });

  it('answers A for a Service with its ClusterIP', async () => {
    assert.deepEqual(await r.resolve4('web.default.svc.cluster.local'), [webIP]);
    assert.deepEqual(await r.resolve4('kubernetes.default.svc.cluster.local').catch(() => []), []);
  });

  it('answers a headless Service with its ready endpoints, and each hostname by name', async () => {
    assert.deepEqual((await r.resolve4('nginx.default.svc.cluster.local')).sort(), ['10.244.0.10', '10.244.0.11']);
    assert.deepEqual(await r.resolve4('web-0.nginx.default.svc.cluster.local'), ['10.244.0.10']);
    assert.deepEqual(await r.resolve4('web-1.nginx.default.svc.cluster.local'), ['10.244.0.11']);
    assert.equal(await code(r.resolve4('web-9.nginx.default.svc.cluster.local')), 'ENOTFOUND');
  });

  it('answers SRV for named ports, with the Service or the endpoints as targets', async () => {
    const srv1 = await r.resolveSrv('_http._tcp.web.default.svc.cluster.local');
    assert.deepEqual(srv1, [{ name: 'web.default.svc.cluster.local', port: 80, priority: 0, weight: 100 }]);
    const udp = await r.resolveSrv('_dns._udp.web.default.svc.cluster.local');
    assert.equal(udp[0]!.port, 53);
    const hl = (await r.resolveSrv('_web._tcp.nginx.default.svc.cluster.local')).sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(hl, [
      { name: 'web-0.nginx.default.svc.cluster.local', port: 80, priority: 0, weight: 50 },
      { name: 'web-1.nginx.default.svc.cluster.local', port: 80, priority: 0, weight: 50 },
    ]);
    assert.equal(await code(r.resolveSrv('_nope._tcp.web.default.svc.cluster.local')), 'ENOTFOUND');
  });

  it('answers PTR for ClusterIPs and endpoint addresses', async () => {
    assert.deepEqual(await r.reverse(webIP), ['web.default.svc.cluster.local']);
    assert.deepEqual(await r.reverse('10.244.0.10'), ['web-0.nginx.default.svc.cluster.local']);
  });

  it('answers an ExternalName Service with a CNAME', async () => {
    assert.deepEqual(await r.resolveCname('ext.default.svc.cluster.local'), ['example.test']);
  });

  it('answers pod records from the name itself', async () => {
    assert.deepEqual(await r.resolve4('10-244-0-99.default.pod.cluster.local'), ['10.244.0.99']);
  });

  it('answers unknown names in the domain with NXDOMAIN and the SOA, over TCP as well', async () => {
    assert.equal(await code(r.resolve4('nope.default.svc.cluster.local')), 'ENOTFOUND');
    const res = await askTcp(dns.port, 'nope.default.svc.cluster.local', 'A');
    assert.equal(res.id, 4242);
    assert.equal(res.rcode, 'NXDOMAIN');
    assert.equal(res.flag_aa, true);
    assert.equal(res.authorities![0]!.type, 'SOA');
    assert.equal(res.authorities![0]!.name, 'cluster.local');
    const ok = await askTcp(dns.port, 'web.default.svc.cluster.local', 'A');
    assert.equal(ok.rcode, 'NOERROR');
    assert.deepEqual(ok.answers!.map((a: { type: string; data: string; ttl: number }) => [a.type, a.data, a.ttl]), [['A', webIP, 5]]);
    // A name that exists without records of the asked type is NODATA, not NXDOMAIN.
    const nodata = await askTcp(dns.port, 'web.default.svc.cluster.local', 'AAAA');
    assert.equal(nodata.rcode, 'NOERROR');
    assert.equal(nodata.answers!.length, 0);
    assert.equal(nodata.authorities![0]!.type, 'SOA');
  });

  it('forwards names outside the cluster domain to the upstream nameservers', async () => {
    assert.deepEqual(await r.resolve4('example.test'), ['192.0.2.1']);
    assert.equal(await code(r.resolve4('missing.test')), 'ENOTFOUND');
    assert.ok(upstream.asked.includes('example.test'));
    assert.ok(!upstream.asked.some((n) => n.endsWith('cluster.local')), 'cluster names never leave');
  });

  it('follows changes: a deleted Service goes, a new one appears', async () => {
    await core.deleteNamespacedService({ namespace: 'default', name: 'web' });
    await eventually(async () => ((await code(r.resolve4('web.default.svc.cluster.local'))) === 'ENOTFOUND' ? true : undefined));
    const late = await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'late' }, spec: { selector: { app: 'late' }, ports: [{ port: 80 }] } } });
    await eventually(async () => {
      const got = await r.resolve4('late.default.svc.cluster.local').catch(() => []);
      return got[0] === late.spec!.clusterIP ? true : undefined;
    });
  });
});
