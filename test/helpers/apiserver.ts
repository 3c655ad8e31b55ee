import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/storage/open.js';
import { startApiServer, type RunningApiServer } from '../../src/apiserver/server.js';
import { writeKubeconfig } from '../../src/apiserver/kubeconfig.js';
import type { Store } from '../../src/storage/interface.js';

export interface TestServer {
  url: string;
  /** Path of a kubeconfig for the real kubectl and client-node. */
  kubeconfig: string;
  dir: string;
  store: Store;
  server: RunningApiServer;
  close(): Promise<void>;
}

/** An API server on a free loopback port over a fresh SQLite store in a temp dir. */
export async function startTestServer(opts: { storage?: 'sqlite' | 'etcd'; etcdEndpoints?: string[] } = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-test-'));
  const store =
    opts.storage === 'etcd'
      ? await openStore({ kind: 'etcd', endpoints: opts.etcdEndpoints ?? [], prefix: `/k8ts-test-${process.pid}-${Date.now()}` })
      : await openStore({ kind: 'sqlite', path: join(dir, 'state.db') });
  const server = await startApiServer({ store, port: 0, host: '127.0.0.1' });
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  await writeKubeconfig(kubeconfig, { server: server.url });
  return {
    url: server.url,
    kubeconfig,
    dir,
    store,
    server,
    async close() {
      await server.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
