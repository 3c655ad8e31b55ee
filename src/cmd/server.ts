import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { openStore } from '../storage/open.js';
import { startApiServer, type RunningApiServer } from '../apiserver/server.js';
import { writeKubeconfig } from '../apiserver/kubeconfig.js';
import type { Store } from '../storage/interface.js';
import { progress } from './progress.js';

export interface ServerFlags {
  dataDir: string;
  port: string;
  bindAddress: string;
  storage: string;
  etcdEndpoints?: string;
  etcdPrefix: string;
  sqliteSynchronous: string;
  compactionInterval: string;
}

/** Flags shared by `k8ts server` and `k8ts apiserver`, named as upstream's where it has one. */
export function addApiServerFlags(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'directory for the database, certificates and kubeconfig', process.env.K8TS_DATA_DIR ?? '.k8ts')
    .option('--port <n>', 'port of the API server (upstream: --secure-port)', '6443')
    .option('--bind-address <ip>', 'address the API server listens on', '127.0.0.1')
    .option('--storage <kind>', 'storage backend: sqlite (embedded) or etcd', 'sqlite')
    .option('--etcd-endpoints <urls>', 'comma-separated etcd client URLs (with --storage etcd)')
    .option('--etcd-prefix <prefix>', 'key prefix inside etcd', '/registry')
    .option('--sqlite-synchronous <mode>', 'SQLite durability: NORMAL (survives kill -9) or FULL (survives power loss)', 'NORMAL')
    .option('--compaction-interval <seconds>', 'history kept before compaction (upstream: --etcd-compaction-interval)', '300');
}

export interface RunningControlPlane {
  api: RunningApiServer;
  store: Store;
  kubeconfig: string;
  stop(): Promise<void>;
}

export async function runApiServer(flags: ServerFlags): Promise<RunningControlPlane> {
  const dataDir = resolve(flags.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  let store: Store;
  if (flags.storage === 'etcd') {
    const endpoints = (flags.etcdEndpoints ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (!endpoints.length) throw new Error('--storage etcd needs --etcd-endpoints, e.g. --etcd-endpoints http://127.0.0.1:2379');
    progress(`connecting to etcd at ${endpoints.join(', ')}`);
    store = await openStore({ kind: 'etcd', endpoints, prefix: flags.etcdPrefix });
  } else if (flags.storage === 'sqlite') {
    const path = join(dataDir, 'state.db');
    progress(`opening SQLite store ${path}`);
    const sync = flags.sqliteSynchronous.toUpperCase();
    if (sync !== 'NORMAL' && sync !== 'FULL') throw new Error(`--sqlite-synchronous must be NORMAL or FULL, not ${flags.sqliteSynchronous}`);
    store = await openStore({ kind: 'sqlite', path, synchronous: sync, compactWindowSeconds: Number(flags.compactionInterval) });
  } else {
    throw new Error(`--storage must be sqlite or etcd, not ${flags.storage}`);
  }
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, not ${flags.port}`);
  const api = await startApiServer({ store, port, host: flags.bindAddress });
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  const host = flags.bindAddress === '0.0.0.0' || flags.bindAddress === '::' ? '127.0.0.1' : flags.bindAddress;
  await writeKubeconfig(kubeconfig, { server: `http://${host.includes(':') ? `[${host}]` : host}:${api.port}` });
  progress(`API server listening on ${api.url}`);
  return {
    api,
    store,
    kubeconfig,
    async stop() {
      await api.close();
      await store.close();
    },
  };
}
