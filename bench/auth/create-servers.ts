// Worker for bench/auth: the two API servers of the secure-vs-insecure create
// figure (the insecure one is a secure server's insecure port), on their own thread so the client's TLS work does not share their
// event loop. Posts { insecureUrl, secureUrl, pki } once both listen; closes
// them when told 'close'.
import { parentPort } from 'node:worker_threads';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/storage/open.js';
import { startApiServer } from '../../src/apiserver/server.js';
import { ensureClusterPki } from '../../src/pki/index.js';

const port = parentPort;
if (!port) throw new Error('create-servers runs as a worker thread');
const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-auth-create-'));
const pki = await ensureClusterPki(join(dir, 'pki'), { hostnames: ['localhost'], ips: ['127.0.0.1'] });
const insecureStore = await openStore({ kind: 'sqlite', path: join(dir, 'insecure.db') });
const secureStore = await openStore({ kind: 'sqlite', path: join(dir, 'secure.db') });
// "Auth off" is the insecure port of a server like the secure one: no TLS, authentication or
// authorization, but the same admission chain (as upstream's insecure port), so the two differ by auth alone.
const insecurePort = await new Promise<number>((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as AddressInfo;
    probe.close(() => resolve(port));
  });
});
const insecure = await startApiServer({ store: insecureStore, port: 0, host: '127.0.0.1', secure: { pki: await ensureClusterPki(join(dir, 'pki-off'), { hostnames: ['localhost'], ips: ['127.0.0.1'] }) }, insecurePort });
const secure = await startApiServer({ store: secureStore, port: 0, host: '127.0.0.1', secure: { pki } });
port.on('message', (msg) => {
  if (msg !== 'close') return;
  void (async () => {
    await insecure.close();
    await secure.close();
    await insecureStore.close();
    await secureStore.close();
    await rm(dir, { recursive: true, force: true });
    port.postMessage('closed');
    port.close();
  })();
});
port.postMessage({ insecureUrl: `http://127.0.0.1:${insecurePort}`, secureUrl: secure.url, pki });
