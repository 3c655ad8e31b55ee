import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startK8ts } from '../helpers/k8ts-process.js';
import { KUBECTL, kubectlOk } from '../helpers/kubectl.js';
import { loopbackFor } from '../../src/proxy/userspace/proxier.js';
import { eventually } from '../kubelet/harness.js';
import { Topology, sh } from './netns.js';
import { counts, service, slice } from './objects.js';
import { netnsSkip, nftSkip } from './skip.js';

// `k8ts server` runs a kube-proxy next to its kubelet, as system:kube-proxy.
// userspace mode keeps the host's iptables untouched; the nftables mode runs
// the whole server inside a test-made network namespace (its "node"), so its
// table is that namespace's; the iptables mode is covered in network
// namespaces by iptables.e2e.test.ts.

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

test('k8ts server --proxy-mode nftables writes table ip kube-proxy for Services created with kubectl', { skip: netnsSkip() || nftSkip() }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-server-nft-'));
  const topo = new Topology();
  let server: Awaited<ReturnType<typeof startK8ts>> | undefined;
  try {
    await topo.create();
    const a = await topo.addPod('a');
    const b = await topo.addPod('b');
    const client = await topo.addPod('client');
    for (const p of [a, b]) await topo.serve(p);
    server = await startK8ts(
      ['server', '--data-dir', dir, '--port', '0', '--kubelet-port', '0', '--runtime', 'fake', '--node-name', 'nft-node', '--proxy-mode', 'nftables', '--cluster-cidr', '10.250.0.0/16', '--min-sync-period', '100ms'],
      /is ready/,
      { netns: topo.node },
    );
    await eventually(() => /proxy: nftables rules in place/.test(server!.output()), 'proxy ready line');
    // The API server listens on the namespace's loopback: kubectl runs there too.
    const kubectl = join(dir, 'kubectl-in-netns');
    await writeFile(kubectl, `#!/bin/sh\nexec ip netns exec ${topo.node} ${KUBECTL} "$@"\n`);
    await chmod(kubectl, 0o755);
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    await kubectlOk(kubeconfig, ['apply', '-f', '-'], { bin: kubectl, input: service('web', '10.0.0.30') });
    await kubectlOk(kubeconfig, ['apply', '-f', '-'], { bin: kubectl, input: slice('web', [{ pod: a, node: 'nft-node' }, { pod: b, node: 'nft-node' }]) });
    await eventually(async () => /10\.0\.0\.30 \. tcp \. 80 : goto lb-2-tcp-80-80/.test((await sh('ip', ['netns', 'exec', topo.node, 'nft', 'list', 'table', 'ip', 'kube-proxy'])).stdout), 'service-ips element');
    const n = counts(await topo.many(client.ns, 'http://10.0.0.30/', 40));
    assert.equal(n.FAIL ?? 0, 0, JSON.stringify(n));
    assert.ok((n.a ?? 0) > 0 && (n.b ?? 0) > 0, JSON.stringify(n));
    assert.match(server.output(), /proxy: starting in nftables mode/);
    await kubectlOk(kubeconfig, ['delete', 'service', 'web'], { bin: kubectl });
    await eventually(async () => !(await sh('ip', ['netns', 'exec', topo.node, 'nft', 'list', 'table', 'ip', 'kube-proxy'])).stdout.includes('10.0.0.30'), 'service gone from the table');
    assert.equal(await server.stop(), 0);
    server = undefined;
  } finally {
    if (server) await server.stop();
    await topo.destroy();
    await rm(dir, { recursive: true, force: true });
  }
});
