import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestClient } from '../../src/client/rest.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { FakeApiServer, json } from './fake-apiserver.js';

// A client given several API servers of one cluster (ClientConfig.servers,
// or the kubeconfig extension k8ts.io/servers) moves on to the next one when
// the current cannot be reached, for any verb: a refused connection never
// reached the server, so nothing can have been done twice.

const CM = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };

async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as import('node:net').AddressInfo).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

function answering(fake: FakeApiServer, who: string): void {
  fake.on((r, res) => {
    if (r.method === 'GET') return json(res, 200, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' }, data: { who } });
    if (r.method === 'POST') return json(res, 201, { ...(JSON.parse(r.body) as object), data: { who } });
    return false;
  });
}

test('requests fail over to the next server when the current one refuses connections', async (t) => {
  const a = await new FakeApiServer().start();
  const b = await new FakeApiServer().start();
  answering(a, 'a');
  answering(b, 'b');
  const dead = await deadUrl();
  const client = new RestClient({ server: dead, servers: [a.url, b.url], namespace: 'default' });
  t.after(async () => {
    client.close();
    await b.close();
  });
  const got = await client.get<{ metadata: { name?: string }; data?: Record<string, string> }>(CM, 'default', 'x');
  assert.equal(got.data?.who, 'a', 'the dead first server was skipped');
  // A create (not idempotent) is sent to the next server too: the refused attempt never arrived.
  const made = await client.create<{ metadata: { name?: string }; data?: Record<string, string> }>(CM, 'default', { metadata: { name: 'y' } });
  assert.equal(made.data?.who, 'a');
  await a.close();
  const after = await client.create<{ metadata: { name?: string }; data?: Record<string, string> }>(CM, 'default', { metadata: { name: 'z' } });
  assert.equal(after.data?.who, 'b', 'moved on when a went away');
  assert.equal(a.requests.filter((r) => r.method === 'POST').length, 1, 'the POST was sent once');
});

test('a kubeconfig lists more servers in the k8ts.io/servers cluster extension', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-kc-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'config');
  await writeFile(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: ha
  cluster:
    server: https://10.0.0.1:6443
    extensions:
    - name: k8ts.io/servers
      extension:
        servers: [https://10.0.0.2:6443/, https://10.0.0.3:6443]
contexts:
- name: ha
  context: {cluster: ha, user: u}
current-context: ha
users:
- name: u
  user: {token: t}
`,
  );
  const cfg = loadKubeconfig(path);
  assert.equal(cfg.server, 'https://10.0.0.1:6443');
  assert.deepEqual(cfg.servers, ['https://10.0.0.2:6443', 'https://10.0.0.3:6443']);
});
