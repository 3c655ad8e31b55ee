// Worker for bench/auth: the two API servers of the secure-vs-insecure create
// figure, on their own thread so the client's TLS work does not share their
// event loop. Posts { insecureUrl, secureUrl, pki } once both listen; closes
// them when told 'close'.
import { parentPort } from 'node:worker_threads';
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
const insecure = await startApiServer({ store: insecureStore, port: 0, host: '127.0.0.1' });
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
port.postMessage({ insecureUrl: insecure.url, secureUrl: secure.url, pki });
