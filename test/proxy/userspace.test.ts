import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { startProxy, type RunningProxy } from '../../src/proxy/proxy.js';
import { loopbackFor } from '../../src/proxy/userspace/proxier.js';
import { eventually } from '../kubelet/harness.js';

// userspace mode on loopback only: backends are HTTP servers on 127.0.10.x,
// the proxy (as system:kube-proxy, RBAC enforced) listens on the loopback
// twins of the ClusterIPs; objects are created with @kubernetes/client-node.

const BACKENDS = ['127.0.10.1', '127.0.10.2', '127.0.10.3'];

function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describe('kube-proxy userspace mode', () => {
  let ts: TestServer;
  let proxy: RunningProxy;
  let core: k8s.CoreV1Api;
  let discovery: k8s.DiscoveryV1Api;
  const servers = new Map<string, http.Server>();
  let port = 0;

  const listen = (ip: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = http.createServer((_req, res) => res.end(ip));
      s.once('error', reject);
      s.listen(port, ip, () => {
        port = (s.address() as AddressInfo).port;
        servers.set(ip, s);
        resolve();
      });
    });

  const slice = (svc: string, ips: string[], p = port, name = 'http') => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svc}-1`, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: 'node-1' })),
    ports: [{ name, port: p, protocol: 'TCP' }],
  });

  before(async () => {
    ts = await startTestServer({ secure: true });
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(ts.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
    for (const ip of BACKENDS) await listen(ip);
    proxy = await startProxy({
      clientConfig: loadKubeconfig(await ts.kubeconfigFor('system:kube-proxy')),
      mode: 'userspace',
      nodeName: 'node-1',
      nodePortAddresses: ['127.0.0.0/8'],
      minSyncPeriodMs: 50,
    });
    await proxy.ready;
  });

  after(async () => {
    await proxy?.stop();
    for (const s of servers.values()) await new Promise((r) => s.close(r));
    await ts?.close();
  });

  it('forwards connections to a ClusterIP round-robin over the ready endpoints', async () => {
    await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'rr' }, spec: { clusterIP: '10.0.0.20', type: 'NodePort', ports: [{ name: 'http', port: 18080, targetPort: 'web' as unknown as k8s.IntOrString, nodePort: 30090 }] } } });
    await discovery.createNamespacedEndpointSlice({ namespace: 'default', body: slice('rr', BACKENDS) as k8s.V1EndpointSlice });
    const host = loopbackFor('10.0.0.20');
    await eventually(async () => (await get(host, 18080).catch(() => '')) !== '', 'listener');
    const counts: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const who = await get(host, 18080);
      counts[who] = (counts[who] ?? 0) + 1;
    }
    assert.deepEqual(counts, { '127.0.10.1': 10, '127.0.10.2': 10, '127.0.10.3': 10 });
  });

  it('serves the NodePort on the node addresses', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(await get('127.0.0.1', 30090));
    assert.equal(seen.size, 3);
  });

  it('retries the next endpoint when one refuses', async () => {
    const dead = servers.get('127.0.10.2')!;
    await new Promise((r) => dead.close(r));
    servers.delete('127.0.10.2');
    const counts: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const who = await get(loopbackFor('10.0.0.20'), 18080);
      counts[who] = (counts[who] ?? 0) + 1;
    }
    assert.equal(counts['127.0.10.2'], undefined);
    assert.equal((counts['127.0.10.1'] ?? 0) + (counts['127.0.10.3'] ?? 0), 30);
  });

  it('follows EndpointSlice changes and closes the listeners of a deleted service', async () => {
    await discovery.replaceNamespacedEndpointSlice({ name: 'rr-1', namespace: 'default', body: slice('rr', ['127.0.10.3']) as k8s.V1EndpointSlice });
    await eventually(async () => {
      const got = new Set<string>();
      for (let i = 0; i < 4; i++) got.add(await get(loopbackFor('10.0.0.20'), 18080));
      return got.size === 1 && got.has('127.0.10.3');
    }, 'only 127.0.10.3');
    await core.deleteNamespacedService({ name: 'rr', namespace: 'default' });
    await eventually(async () => (await get(loopbackFor('10.0.0.20'), 18080).then(() => 'open', (e: NodeJS.ErrnoException) => e.code)) === 'ECONNREFUSED', 'listener closed');
  });

  it('sessionAffinity ClientIP pins a client', async () => {
    await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'sticky' }, spec: { clusterIP: '10.0.0.21', sessionAffinity: 'ClientIP', ports: [{ name: 'http', port: 18081 }] } } });
    await discovery.createNamespacedEndpointSlice({ namespace: 'default', body: slice('sticky', ['127.0.10.1', '127.0.10.3']) as k8s.V1EndpointSlice });
    const host = loopbackFor('10.0.0.21');
    await eventually(async () => (await get(host, 18081).catch(() => '')) !== '', 'listener');
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(await get(host, 18081));
    assert.equal(seen.size, 1);
  });

  it('relays UDP datagrams', async () => {
    const echo = dgram.createSocket('udp4');
    await new Promise<void>((r) => echo.bind(0, '127.0.10.1', () => r()));
    echo.on('message', (m, rinfo) => echo.send(Buffer.concat([Buffer.from('echo:'), m]), rinfo.port, rinfo.address));
    const echoPort = (echo.address() as AddressInfo).port;
    try {
      await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'dns' }, spec: { clusterIP: '10.0.0.22', ports: [{ name: 'dns', port: 18053, protocol: 'UDP' }] } } });
      const s = slice('dns', ['127.0.10.1'], echoPort, 'dns');
      s.ports[0]!.protocol = 'UDP';
      await discovery.createNamespacedEndpointSlice({ namespace: 'default', body: s as k8s.V1EndpointSlice });
      const client = dgram.createSocket('udp4');
      await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
      try {
        const reply = await eventually(
          () =>
            new Promise<string | undefined>((resolve) => {
              const t = setTimeout(() => resolve(undefined), 300);
              client.once('message', (m) => {
                clearTimeout(t);
                resolve(m.toString());
              });
              client.send('ping', 18053, loopbackFor('10.0.0.22'));
            }),
          'udp reply',
        );
        assert.equal(reply, 'echo:ping');
      } finally {
        client.close();
      }
    } finally {
      echo.close();
    }
  });
});
