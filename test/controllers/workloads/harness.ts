import { startTestServer, type TestServer } from '../../helpers/apiserver.js';
import { kubectl, kubectlOk } from '../../helpers/kubectl.js';
import { loadKubeconfig } from '../../../src/client/kubeconfig.js';
import { RestClient } from '../../../src/client/rest.js';
import { InformerFactory } from '../../../src/client/informer-factory.js';
import { EventRecorder } from '../../../src/client/events/recorder.js';
import { nowTimestamp, type KubeObject } from '../../../src/api/types.js';
import type { ControllerContext, ControllerDescriptor, ControllerManagerOptions, RunningController } from '../../../src/controllers/types.js';
import { defaultControllerManagerOptions } from '../../../src/controllers/options.js';
import { PODS } from '../../../src/controllers/shared/resources.js';
import type { Pod } from '../../../src/controllers/shared/types.js';

// A real API server with chosen controllers running in-process against it,
// and the kubelet's part played by hand: tests set pod status through the
// pods/status subresource.


export interface Harness {
  server: TestServer;
  client: RestClient;
  ctx: ControllerContext;
  kubeconfig: string;
  /** kubectl that must succeed; returns stdout. */
  k(args: string[], input?: string): Promise<string>;
  /** kubectl whatever its exit code. */
  kRaw(args: string[], input?: string): ReturnType<typeof kubectl>;
  close(): Promise<void>;
}

/** `secure`: an HTTPS API server with authentication, RBAC and the admission chain (which an insecure one skips). */
export async function startHarness(controllers: ControllerDescriptor[], options: Partial<ControllerManagerOptions> = {}, serverOptions: { secure?: boolean } = {}): Promise<Harness> {
  const server = await startTestServer({ secure: serverOptions.secure });
  const client = new RestClient(loadKubeconfig(server.kubeconfig), { component: 'kube-controller-manager' });
  const informers = new InformerFactory(client);
  const recorders: EventRecorder[] = [];
  const ctx: ControllerContext = {
    client,
    informers,
    recorder(component) {
      const r = new EventRecorder(client, { component, retryDelayMs: 200, maxTries: 3 });
      recorders.push(r);
      return r;
    },
    options: { ...defaultControllerManagerOptions(), ...options },
  };
  const running: RunningController[] = [];
  for (const c of controllers) running.push(await c.start(ctx));
  informers.start();
  return {
    server,
    client,
    ctx,
    kubeconfig: server.kubeconfig,
    k: (args, input) => kubectlOk(server.kubeconfig, args, { input }),
    kRaw: (args, input) => kubectl(server.kubeconfig, args, { input }),
    async close() {
      for (const r of running) await r.stop();
      await informers.stop();
      for (const r of recorders) await r.shutdown();
      client.close();
      await server.close();
    },
  };
}

/**
 * Polls until fn returns a truthy value. The deadline is a safety net
 * against a hung test (generous, for a loaded machine), not a performance
 * assertion.
 */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false | null>, safetyMs = 180_000): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() - start > safetyMs) throw new Error(`never happened: ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function listPods(h: Harness, namespace: string, labelSelector?: string): Promise<Pod[]> {
  const l = await h.client.list<Pod>(PODS, namespace, { labelSelector });
  return l.items;
}

/** What a kubelet reports for a started pod whose containers pass readiness. */
export async function markPodReady(h: Harness, pod: Pod): Promise<void> {
  const now = nowTimestamp();
  const containers = pod.spec?.containers ?? [];
  await updatePodStatus(h, pod, {
    phase: 'Running',
    startTime: now,
    conditions: [
      { type: 'Initialized', status: 'True', lastTransitionTime: now },
      { type: 'Ready', status: 'True', lastTransitionTime: now },
      { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
      { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
    ],
    containerStatuses: containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: '',
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: now } },
    })),
  });
}

export async function markPodFinished(h: Harness, pod: Pod, phase: 'Succeeded' | 'Failed'): Promise<void> {
  const now = nowTimestamp();
  const exitCode = phase === 'Succeeded' ? 0 : 1;
  await updatePodStatus(h, pod, {
    phase,
    startTime: now,
    conditions: [
      { type: 'Ready', status: 'False', lastTransitionTime: now, reason: 'PodCompleted' },
      { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
    ],
    containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
      name: c.name,
      image: c.image,
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { terminated: { exitCode, reason: phase === 'Succeeded' ? 'Completed' : 'Error', startedAt: now, finishedAt: now } },
    })),
  });
}

async function updatePodStatus(h: Harness, pod: Pod, status: Record<string, unknown>): Promise<void> {
  for (;;) {
    const cur = await h.client.get<Pod>(PODS, pod.metadata.namespace, pod.metadata.name!);
    try {
      await h.client.updateStatus<KubeObject>(PODS, cur.metadata.namespace, { ...cur, status: { ...(cur.status ?? {}), ...status } });
      return;
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }
}

/** Marks every pending pod matching the selector ready, over and over, until `until` holds. */
export async function readyPodsUntil(h: Harness, namespace: string, labelSelector: string, until: () => Promise<boolean>): Promise<void> {
  await eventually(`pods ${labelSelector} ready until condition`, async () => {
    for (const p of await listPods(h, namespace, labelSelector)) {
      if (p.metadata.deletionTimestamp) continue;
      if (p.status?.phase !== 'Running') await markPodReady(h, p).catch(() => undefined);
    }
    return until();
  });
}
