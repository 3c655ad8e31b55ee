import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { RestClient } from '../../src/client/rest.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import { startTestServer } from '../helpers/apiserver.js';

// The API server relays an upgraded pods/portforward connection byte for byte. When the kubelet sends its last
// bytes and closes at once (SPDY has no close handshake of its own), a client that reads slowly still gets all
// of them: the relay flushes and ends the client's side instead of destroying it.

const NODES = resourceFor('', 'v1', 'nodes')!;
const PODS = resourceFor('', 'v1', 'pods')!;
const SERVICE_ACCOUNTS = resourceFor('', 'v1', 'serviceaccounts')!;
const TAIL_BYTES = 64 * 1024 * 1024; // beyond what the kernel buffers on loopback: the rest waits in the relay

test('a kubelet that writes and closes at once: a slow client still reads every byte', async () => {
  const api = await startTestServer({ secure: true });
  const serving = await api.kubeletTls('tail-node');
  const kubelet = https.createServer({ cert: serving.certPem, key: serving.keyPem });
  kubelet.on('upgrade', (_req, socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n');
    socket.end(Buffer.alloc(TAIL_BYTES, 7));
  });
  await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', r));
  const client = RestClient.fromKubeconfig(api.kubeconfig, { component: 'test' });
  try {
    const port = (kubelet.address() as AddressInfo).port;
    await client.create(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'tail-node' } });
    await client.updateStatus(NODES, undefined, {
      ...(await client.get(NODES, undefined, 'tail-node')),
      status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } },
    });
    // No controller manager runs here: make the ServiceAccount that admission looks up.
    await client.create(SERVICE_ACCOUNTS, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } }).catch(() => undefined);
    await client.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'tail' }, spec: { nodeName: 'tail-node', automountServiceAccountToken: false, containers: [{ name: 'c', image: 'x' }] } });

    const kc = loadKubeconfig(api.kubeconfig);
    const u = new URL(kc.server);
    const sock = tls.connect({ host: u.hostname, port: Number(u.port), ca: kc.caData, cert: kc.certData, key: kc.keyData, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => sock.once('secureConnect', resolve).once('error', reject));
    sock.write(
      'GET /api/v1/namespaces/default/pods/tail/portforward?ports=80 HTTP/1.1\r\n' +
        `Host: ${u.host}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n`,
    );
    // The client reads nothing until the kubelet has long closed its side.
    sock.pause();
    await sleep(1_000);
    const chunks: Buffer[] = [];
    let total = 0;
    const ended = new Promise<void>((resolve) => sock.once('close', () => resolve()));
    sock.on('data', (d: Buffer) => {
      if (chunks.length < 4) chunks.push(d);
      total += d.length;
    });
    sock.resume();
    await ended;
    const head = Buffer.concat(chunks).toString('latin1');
    const headEnd = head.indexOf('\r\n\r\n');
    assert.match(head.slice(0, headEnd), /^HTTP\/1\.1 101/);
    assert.equal(total - headEnd - 4, TAIL_BYTES, 'every byte the kubelet sent before closing');
  } finally {
    client.close();
    kubelet.closeAllConnections();
    await new Promise((r) => kubelet.close(r));
    await api.close();
  }
});
