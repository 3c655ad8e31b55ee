import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { RestClient } from '../../src/client/rest.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { issueClientCert } from '../../src/pki/index.js';
import { resourceFor } from '../../src/api/scheme/resources.js';

// TLS connections between clients and a secure API server: a burst of
// concurrent requests opens many connections, which must not each parse the
// client's certificates again, and a connection left idle between bursts
// stays open as long as upstream's server keeps it (90 s, not Node's 5 s).

const CM = resourceFor('', 'v1', 'configmaps')!;

let server: TestServer;

before(async () => {
  server = await startTestServer({ secure: true });
});

after(async () => {
  await server.close();
});

test('a burst of concurrent requests on new connections builds no TLS context, and still authenticates with the client certificate', async (t) => {
  const client = new RestClient(loadKubeconfig(server.kubeconfig), { component: 'tls-test', qps: 0, burst: 0 });
  t.after(() => client.close());
  const original = tls.createSecureContext;
  let built = 0;
  tls.createSecureContext = (...args: Parameters<typeof tls.createSecureContext>) => {
    built++;
    return original(...args);
  };
  try {
    // Creating needs the admin's certificate (system:masters): anonymous requests could not.
    const made = await Promise.all(
      Array.from({ length: 24 }, (_, i) => client.create(CM, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `burst-${i}`, namespace: 'default' }, data: { i: String(i) } })),
    );
    assert.equal(made.length, 24);
  } finally {
    tls.createSecureContext = original;
  }
  assert.equal(built, 0, 'connections reuse the context built with the client');
});

test('a burst of requests shares at most maxSockets connections, and watches hold connections of their own', async (t) => {
  const client = new RestClient(loadKubeconfig(server.kubeconfig), { component: 'tls-test', qps: 0, burst: 0, maxSockets: 3 });
  t.after(() => client.close());
  const original = tls.connect;
  let connections = 0;
  (tls as { connect: typeof tls.connect }).connect = ((...args: Parameters<typeof tls.connect>) => {
    connections++;
    return original(...args);
  }) as typeof tls.connect;
  const watches: { stop(): void; done: Promise<void> }[] = [];
  try {
    // As many watches as the limit: counted against it, they would leave no connection for a request.
    for (let i = 0; i < 3; i++) watches.push(client.watch(CM, 'default', { labelSelector: `watch=${i}` }, () => undefined));
    await new Promise((r) => setTimeout(r, 200));
    const made = await Promise.all(
      Array.from({ length: 30 }, (_, i) => client.create(CM, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `pooled-${i}`, namespace: 'default' }, data: { i: String(i) } })),
    );
    assert.equal(made.length, 30);
  } finally {
    (tls as { connect: typeof tls.connect }).connect = original;
    for (const w of watches) w.stop();
    await Promise.allSettled(watches.map((w) => w.done));
  }
  // Three for the watches, at most three for the 30 creations.
  assert.ok(connections <= 6, `${connections} connections`);
  assert.ok(connections >= 4, `${connections} connections: the watches and the requests cannot all have shared`);
});

test('a key that does not match its certificate fails the requests, not the making of the client', async (t) => {
  const cfg = loadKubeconfig(server.kubeconfig);
  const other = await issueClientCert(server.pki!, { commonName: 'someone', organizations: [] });
  const client = new RestClient({ ...cfg, keyData: Buffer.from(other.keyPem) }, { component: 'tls-test' });
  t.after(() => client.close());
  await assert.rejects(client.get(CM, 'default', 'burst-0'));
});

test('a kept-alive connection left idle longer than 5 s is used again', async (t) => {
  const cfg = loadKubeconfig(server.kubeconfig);
  const agent = new https.Agent({ keepAlive: true, ca: cfg.caData, cert: cfg.certData, key: cfg.keyData });
  t.after(() => agent.destroy());
  const get = (): Promise<{ status: number; reused: boolean }> =>
    new Promise((resolve, reject) => {
      const req = https.get(`${server.url}/api/v1/namespaces/default/configmaps/burst-0`, { agent }, (res) => {
        res.resume();
        res.once('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
      });
      req.once('error', reject);
    });
  assert.deepEqual(await get(), { status: 200, reused: false });
  await new Promise((r) => setTimeout(r, 6000));
  assert.deepEqual(await get(), { status: 200, reused: true });
});
