// In-process cost of metadata.managedFields for the writes a cluster makes
// most: a Pod create, a Lease renewal (a PUT of spec.renewTime) and a steady
// pod status update. Each row also pays the structuredClone that builds its
// input object, printed alone as the last row.
// Run: npm run build && node dist/bench/apiserver/managed-fields.js [--repo DIR]
// --repo DIR measures another checkout's build (its dist/) for a before/after comparison.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { KubeObject } from '../../src/api/types.js';
import type { SchemaNode } from '../../src/api/schema/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const repo = args.includes('--repo') ? args[args.indexOf('--repo') + 1]! : join(here, '..', '..', '..');

type Update = (old: KubeObject | null, next: KubeObject, opts: { manager: string; apiVersion: string; subresource?: string; now: string; schema?: SchemaNode }) => void;
const { loadSchemaRegistry } = (await import(pathToFileURL(join(repo, 'dist/src/api/schema/registry.js')).href)) as { loadSchemaRegistry: () => { forKind(g: string, v: string, k: string): SchemaNode | undefined } };
const { updateManagedFields } = (await import(pathToFileURL(join(repo, 'dist/src/apiserver/patch/index.js')).href)) as { updateManagedFields: Update };

const reg = loadSchemaRegistry();
const podSchema = reg.forKind('', 'v1', 'Pod');
const leaseSchema = reg.forKind('coordination.k8s.io', 'v1', 'Lease');

const newPod = (i: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `p${i}`, namespace: 'b', labels: { app: 'bench' } },
  spec: {
    containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'], ports: [{ containerPort: 80, protocol: 'TCP' }], resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
    volumes: [{ name: 'kube-api-access-x', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] } }],
    tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
  },
});
const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString().replace('.000Z', 'Z');
const status = (t: string) => ({
  phase: 'Running',
  conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: t })),
  hostIP: '10.0.0.1',
  podIP: '10.1.0.5',
  podIPs: [{ ip: '10.1.0.5' }],
  startTime: t,
  containerStatuses: [{ name: 'c', ready: true, restartCount: 0, started: true, image: 'busybox:1.36', imageID: 'docker://sha', containerID: 'docker://abc', state: { running: { startedAt: t } }, lastState: {} }],
});

const pod = newPod(0);
updateManagedFields(null, pod, { manager: 'kube-controller-manager', apiVersion: 'v1', now: at(0), schema: podSchema });
const running = structuredClone(pod);
running.status = status(at(1));
updateManagedFields(pod, running, { manager: 'kubelet', apiVersion: 'v1', subresource: 'status', now: at(1), schema: podSchema });
const lease: KubeObject = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n', namespace: 'kube-node-lease', uid: 'u', creationTimestamp: at(0) }, spec: { holderIdentity: 'n', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' } };
updateManagedFields(null, lease, { manager: 'kubelet', apiVersion: 'coordination.k8s.io/v1', now: at(0), schema: leaseSchema });

function bench(label: string, n: number, f: (i: number) => void): void {
  for (let i = 0; i < Math.min(n, 5000); i++) f(i);
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f(i);
  console.log(`${label.padEnd(58)} ${(Number(process.hrtime.bigint() - t) / n / 1000).toFixed(1).padStart(7)} µs`);
}

console.log(`managedFields per write, ${repo}`);
bench('Pod create (controller-made pod after admission)', 30000, (i) => updateManagedFields(null, newPod(i), { manager: 'kube-controller-manager', apiVersion: 'v1', now: at(0), schema: podSchema }));
bench('Lease renewal PUT (no uid/creationTimestamp, as kubelets)', 30000, (i) => {
  const l = structuredClone(lease);
  delete l.metadata.managedFields;
  delete l.metadata.uid;
  delete l.metadata.creationTimestamp;
  (l.spec as Record<string, unknown>).renewTime = `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.000000Z`;
  updateManagedFields(lease, l, { manager: 'kubelet', apiVersion: 'coordination.k8s.io/v1', now: at(60), schema: leaseSchema });
});
bench('pod status update, Running → Running with new times', 20000, (i) => {
  const p = structuredClone(running);
  p.status = status(at(i % 60));
  updateManagedFields(running, p, { manager: 'kubelet', apiVersion: 'v1', subresource: 'status', now: at(60), schema: podSchema });
});
bench('structuredClone of the running pod alone (input cost)', 20000, () => structuredClone(running));
console.log(`load ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
