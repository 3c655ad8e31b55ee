import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startK8ts } from '../helpers/k8ts-process.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { loopbackFor } from '../../src/proxy/userspace/proxier.js';
import { eventually } from '../kubelet/harness.js';

// `k8ts server` runs a kube-proxy next to its kubelet, as system:kube-proxy.
// userspace mode keeps the host's iptables untouched; the iptables mode is
// covered in network namespaces by iptables.e2e.test.ts.

test('k8ts server starts a proxy that serves Services created with kubectl', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-server-proxy-'));
  const backend = http.createServer((_req, res) => res.end('backend'));
  await new Promise<void>((r) => backend.listen(0, '127.0.10.9', () => r()));
  const port = (backend.address() as AddressInfo).port;
  const server = await startK8ts(['server', '--data-dir', dir, '--port', '0', '--kubelet-port', '0', '--runtime', 'fake', '--node-name', 'proxy-node', '--proxy-mode', 'userspace', '--min-sync-period', '100ms']);
  try {
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    await eventually(() => /proxy: userspace listeners in place/.test(server.output()), 'proxy ready line');
    await kubectlOk(kubeconfig, ['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.0.0.30', ports: [{ name: 'http', port: 18090, targetPort: port }] } }),
    });
    await kubectlOk(kubeconfig, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['127.0.10.9'], conditions: { ready: true }, nodeName: 'proxy-node' }],
        ports: [{ name: 'http', port, protocol: 'TCP' }],
      }),
    });
    const body = await eventually(
      () =>
        new Promise<string | undefined>((resolve) => {
          http
            .get({ host: loopbackFor('10.0.0.30'), port: 18090, agent: false }, (res) => {
              let b = '';
              res.on('data', (d) => (b += d));
              res.on('end', () => resolve(b));
            })
            .on('error', () => resolve(undefined));
        }),
      'service answers',
    );
    assert.equal(body, 'backend');
    assert.match(server.output(), /proxy: starting in userspace mode/);
  } finally {
    assert.equal(await server.stop(), 0);
    await new Promise((r) => backend.close(r));
    await rm(dir, { recursive: true, force: true });
  }
});
