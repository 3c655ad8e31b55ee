import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestClient } from '../../src/client/rest.js';
import { sleep } from '../../src/client/clock.js';
import { startKubelet, type RunningKubelet } from '../../src/kubelet/kubelet.js';
import type { KubeletOptions } from '../../src/kubelet/options.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';

// A real API server, a REST client and a kubelet on the fake runtime with
// short periods, torn down together.

export const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };
export const NODES = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
export const EVENTS = { group: '', version: 'v1', resource: 'events', namespaced: true };
export const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true };

export interface Env {
  server: TestServer;
  client: RestClient;
  runtime: FakeRuntime;
  rootDir: string;
  kubelet: RunningKubelet;
  /** Starts the kubelet again (after kubelet.stop()) with the same runtime and root dir. */
  restartKubelet(extra?: Partial<KubeletOptions>): Promise<RunningKubelet>;
  close(): Promise<void>;
}

export const FAST: Partial<KubeletOptions> = {
  nodeStatusUpdateFrequency: 200,
  leaseRenewInterval: 200,
  plegRelistPeriod: 50,
  syncFrequency: 2000,
  fileCheckFrequency: 200,
  kubeletPort: 0,
  address: '127.0.0.1',
  crashLoopBackOff: { initialMs: 200, maxMs: 1600 },
  imageBackOff: { initialMs: 200, maxMs: 1600 },
};

export async function startEnv(extra: Partial<KubeletOptions> = {}, nodeName = 'node-1'): Promise<Env> {
  const server = await startTestServer();
  const client = RestClient.fromKubeconfig(server.kubeconfig, { component: 'kubelet-test' });
  const runtime = new FakeRuntime();
  const rootDir = await mkdtemp(join(tmpdir(), 'k8ts-kubelet-'));
  const mk = (more: Partial<KubeletOptions> = {}): Promise<RunningKubelet> => startKubelet({ client, runtime, nodeName, rootDir, ...FAST, ...extra, ...more });
  const env: Env = {
    server,
    client,
    runtime,
    rootDir,
    kubelet: await mk(),
    async restartKubelet(more) {
      env.kubelet = await mk(more);
      return env.kubelet;
    },
    async close() {
      await env.kubelet.stop();
      await runtime.close();
      client.close();
      await server.close();
      await rm(rootDir, { recursive: true, force: true });
    },
  };
  return env;
}

/** Polls fn until truthy; gives up after four minutes (naming `what` and the last error) so a stuck condition fails the test instead of hanging the run. */
export async function eventually<T>(fn: () => Promise<T | undefined | false | null> | T | undefined | false | null, what = 'condition', intervalMs = 50): Promise<T> {
  let lastErr: unknown;
  const deadline = Date.now() + 240_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in 240 s${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`);
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    await sleep(intervalMs);
    if (process.env.K8TS_DEBUG_WAIT && lastErr) console.error(what, lastErr);
  }
}

export function pod(name: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}): any {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', ...meta }, spec: { nodeName: 'node-1', ...spec } };
}

export async function eventsFor(client: RestClient, name: string, kind = 'Pod'): Promise<any[]> {
  const list = await client.list<any>(EVENTS, undefined, { fieldSelector: `involvedObject.name=${name}` });
  return list.items.filter((e: any) => e.involvedObject.kind === kind);
}
