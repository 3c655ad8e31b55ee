import { RestClient } from '../../src/client/rest.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { startScheduler, type RunningScheduler } from '../../src/cmd/scheduler.js';
import type { SchedulerConfiguration } from '../../src/scheduler/config/profile.js';
import type { Node, Pod, Taint } from '../../src/scheduler/framework/types.js';
import { PODS, NODES } from '../../src/scheduler/api.js';

// An API server on a temp store, a scheduler against it, and builders for
// the Node and Pod objects the end-to-end tests create through the API.

export interface Cluster {
  server: TestServer;
  client: RestClient;
  scheduler: RunningScheduler;
  close(): Promise<void>;
}

export async function startCluster(config?: SchedulerConfiguration): Promise<Cluster> {
  const server = await startTestServer();
  const client = new RestClient(loadKubeconfig(server.kubeconfig), { qps: 1000, burst: 1000 });
  const scheduler = await startScheduler({ kubeconfig: server.kubeconfig, config, leaderElect: false, qps: 1000, burst: 1000 });
  return {
    server,
    client,
    scheduler,
    async close() {
      await scheduler.stop();
      client.close();
      await server.close();
    },
  };
}

export interface NodeOpts {
  cpu?: string;
  memory?: string;
  pods?: number;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
}

export function nodeObject(name: string, o: NodeOpts = {}): Node {
  const resources = { cpu: o.cpu ?? '4', memory: o.memory ?? '32Gi', pods: String(o.pods ?? 110), 'ephemeral-storage': '100Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...o.labels } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

export interface PodOpts {
  cpu?: string;
  memory?: string;
  labels?: Record<string, string>;
  priority?: number;
  spec?: Partial<Pod['spec']>;
  namespace?: string;
}

export function podObject(name: string, o: PodOpts = {}): Pod {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.namespace ?? 'default', labels: o.labels },
    spec: {
      containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { requests } }],
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      ...o.spec,
    },
  };
}

export async function createNode(c: Cluster, n: Node): Promise<Node> {
  return c.client.create<Node>(NODES, undefined, n);
}

export async function createPod(c: Cluster, p: Pod): Promise<Pod> {
  return c.client.create<Pod>(PODS, p.metadata.namespace, p);
}

export async function getPod(c: Cluster, name: string, ns = 'default'): Promise<Pod> {
  return c.client.get<Pod>(PODS, ns, name);
}

/** Poll until `check` returns a value; a hang guard, not a performance limit. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, guardMs = 90_000): Promise<T> {
  const end = Date.now() + guardMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function waitBound(c: Cluster, name: string, ns = 'default'): Promise<string> {
  return waitFor(`pod ${ns}/${name} to be bound`, async () => (await getPod(c, name, ns)).spec.nodeName || undefined);
}

export function waitUnschedulable(c: Cluster, name: string, ns = 'default', match?: RegExp): Promise<string> {
  return waitFor(`pod ${ns}/${name} to be reported unschedulable`, async () => {
    const p = await getPod(c, name, ns);
    const cond = p.status?.conditions?.find((x) => x.type === 'PodScheduled');
    if (cond?.status !== 'False' || cond.reason !== 'Unschedulable' || !cond.message) return undefined;
    if (match && !match.test(cond.message)) return undefined;
    return cond.message;
  });
}
