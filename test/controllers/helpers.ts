import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { RestClient } from '../../src/client/rest.js';
import { startControllerManager, type RunningControllerManager } from '../../src/controllers/manager.js';
import { defaultControllerManagerOptions } from '../../src/controllers/options.js';
import type { ControllerManagerOptions } from '../../src/controllers/types.js';

// A real API server with the controller manager running in-process.
// Timers are shortened through options only; no test asserts on timing.

export interface Cluster {
  server: TestServer;
  client: RestClient;
  cm: RunningControllerManager;
  close(): Promise<void>;
}

export function fastOptions(over: Partial<ControllerManagerOptions> = {}, extra: Record<string, string> = {}): ControllerManagerOptions {
  const o = defaultControllerManagerOptions();
  Object.assign(o, over);
  Object.assign(o.extra, { 'k8ts-pod-gc-period': '200ms', 'k8ts-pod-gc-quarantine': '500ms', 'k8ts-gc-resync-period': '2s', 'node-startup-grace-period': '2s', ...extra });
  return o;
}

export async function startCluster(opts: { controllers?: string[]; options?: ControllerManagerOptions } = {}): Promise<Cluster> {
  const server = await startTestServer();
  const client = RestClient.fromKubeconfig(server.kubeconfig, { component: 'controller-test' });
  const cm = await startControllerManager({ client, options: opts.options ?? fastOptions(), controllers: opts.controllers, leaderElect: false });
  return {
    server,
    client,
    cm,
    async close() {
      await cm.stop();
      client.close();
      await server.close();
    },
  };
}

/** Polls until cond() is truthy and returns its value. The deadline is a safety net against a hung test, not a timing assertion. */
export async function until<T>(cond: () => T | Promise<T>, what = 'condition', everyMs = 50, safetyMs = 120_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + safetyMs;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The result of fn, or undefined when it throws a 404. */
export async function getOrUndefined<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}
