// HPA and resource-metrics figures.
//  1. HPA reaction time on Docker: from the moment a Deployment's pods start
//     burning CPU to a new replica Running, with the periods shortened by
//     upstream's flags (stated in the output); reference: one metric
//     resolution plus one HPA sync period, the delay the design allows
//     before a decision (pod start-up comes on top).
//  2. metrics.k8s.io latency for `kubectl top pods -A` over many pods on
//     hollow nodes (API server and hollow nodes each in their own process);
//     reference: `kubectl get pods -A` on the same cluster.
// Run: npm run build && node dist/bench/hpa/main.js [--runs 3] [--nodes 50] [--pods-per-node 20] [--skip-docker] [--no-write]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { RestClient } from '../../src/client/rest.js';
import { InformerFactory } from '../../src/client/informer-factory.js';
import { EventRecorder } from '../../src/client/events/recorder.js';
import { openStore } from '../../src/storage/open.js';
import { startApiServer } from '../../src/apiserver/server.js';
import { writeKubeconfig } from '../../src/apiserver/kubeconfig.js';
import { startKubelet } from '../../src/kubelet/kubelet.js';
import { DockerRuntime } from '../../src/runtime/docker/runtime.js';
import { LABEL_NODE_NAME } from '../../src/runtime/interface.js';
import { defaultControllerManagerOptions } from '../../src/controllers/options.js';
import { deploymentController } from '../../src/controllers/deployment/controller.js';
import { replicaSetController } from '../../src/controllers/replicaset/controller.js';
import { horizontalPodAutoscalerController } from '../../src/controllers/podautoscaler/controller.js';
import type { ControllerContext, RunningController } from '../../src/controllers/types.js';
import { ensureBusyboxImage, releaseBusyboxImage } from '../../test/helpers/images.js';
import { kubectl } from '../../test/helpers/kubectl.js';
import { fmt, runConcurrent, summarize, table, writeSection } from '../lib/stats.js';
import { option as opt } from '../lib/args.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const args = process.argv.slice(2);
const RUNS = Number(opt('--runs', '3'));
const NODES_N = Number(opt('--nodes', '25'));
const PODS_PER_NODE = Number(opt('--pods-per-node', '20'));
const RESOLUTION_S = 5;
const SYNC_S = 5;
const STABILIZATION_S = 10;
const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true };
const progress = (m: string): void => console.error(`[bench/hpa] ${m}`);

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, pollMs = 100, limitMs = 600_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}

async function hpaReaction(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-hpa-'));
  const loadDir = await mkdtemp(join(tmpdir(), 'k8ts-bench-hpa-load-'));
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'state.db') });
  const api = await startApiServer({ store, port: 0, host: '127.0.0.1', metrics: { resolutionMs: RESOLUTION_S * 1000 } });
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  await writeKubeconfig(kubeconfig, { server: api.url });
  const client = RestClient.fromKubeconfig(kubeconfig, { component: 'bench-hpa' });
  const nodeName = `k8ts-bench-hpa-${process.pid}`;
  const pauseImage = `k8ts-test/pause:bench-hpa-${process.pid}`;
  const runtime = new DockerRuntime({ nodeName, pauseImage });
  const busybox = await ensureBusyboxImage();
  const kubelet = await startKubelet({ client, runtime, nodeName, rootDir: join(dir, 'kubelet'), kubeletPort: 0, address: '127.0.0.1', plegRelistPeriod: 200, nodeStatusUpdateFrequency: 1000 });
  const informers = new InformerFactory(client);
  const options = defaultControllerManagerOptions();
  options.extra['horizontal-pod-autoscaler-sync-period'] = `${SYNC_S}s`;
  options.extra['horizontal-pod-autoscaler-downscale-stabilization'] = `${STABILIZATION_S}s`;
  const recorders: EventRecorder[] = [];
  const ctx: ControllerContext = { client, informers, options, recorder: (component) => { const r = new EventRecorder(client, { component }); recorders.push(r); return r; } };
  const running: RunningController[] = [];
  for (const c of [replicaSetController, deploymentController, horizontalPodAutoscalerController]) running.push(await c.start(ctx));
  informers.start();
  const times: number[] = [];
  try {
    await client.create(DEPLOYMENTS, 'default', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'burn', namespace: 'default' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'burn' } }, template: { metadata: { labels: { app: 'burn' } }, spec: {
        nodeName, terminationGracePeriodSeconds: 0, volumes: [{ name: 'load', hostPath: { path: loadDir, type: 'Directory' } }],
        containers: [{ name: 'burn', image: busybox, imagePullPolicy: 'Never', volumeMounts: [{ name: 'load', mountPath: '/load' }], resources: { requests: { cpu: '50m' }, limits: { cpu: '100m' } },
          command: ['sh', '-c', 'while :; do if [ -f /load/on ]; then i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; else sleep 0.2; fi; done'] }],
      } } },
    } as any);
    const r = await kubectl(kubeconfig, ['autoscale', 'deployment', 'burn', '--cpu-percent=50', '--min=1', '--max=2']);
    if (r.code !== 0) throw new Error(r.stderr);
    const hpa = async (): Promise<any> => client.request<any>('GET', '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/burn');
    const readyPods = async (): Promise<number> => (await client.list<any>(PODS, 'default', { labelSelector: 'app=burn' })).items.filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp && p.status.containerStatuses?.every((c: any) => c.ready)).length;
    for (let run = 0; run < RUNS; run++) {
      // Idle, measured, at one replica.
      await until('idle HPA with metrics at 1 replica', async () => {
        const h = await hpa();
        const active = h.status?.conditions?.find((c: any) => c.type === 'ScalingActive');
        return active?.status === 'True' && h.status.desiredReplicas === 1 && (await readyPods()) === 1;
      }, 500);
      const t0 = Date.now();
      await writeFile(join(loadDir, 'on'), '1');
      await until('a second replica Running', async () => (await readyPods()) >= 2, 100);
      const s = (Date.now() - t0) / 1000;
      times.push(s);
      progress(`run ${run + 1}/${RUNS}: new replica Running ${fmt(s, 1)} s after the load started`);
      await unlink(join(loadDir, 'on'));
    }
  } finally {
    for (const c of running) await c.stop();
    await informers.stop();
    for (const r of recorders) await r.shutdown();
    await kubelet.stop();
    const sel = { labelSelector: { [LABEL_NODE_NAME]: nodeName } };
    for (const c of await runtime.listContainers(sel)) await runtime.removeContainer(c.id).catch(() => undefined);
    for (const s of await runtime.listPodSandboxes(sel)) await runtime.removePodSandbox(s.id).catch(() => undefined);
    await runtime.removeImage(pauseImage).catch(() => undefined);
    await runtime.close();
    client.close();
    await api.close();
    await store.close();
    await releaseBusyboxImage();
    await rm(dir, { recursive: true, force: true });
    await rm(loadDir, { recursive: true, force: true });
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const ref = RESOLUTION_S + SYNC_S;
  const line = `HPA reaction (load start → new replica Running), median of ${RUNS}: ${fmt(median, 1)} s (min ${fmt(sorted[0]!, 1)}, max ${fmt(sorted.at(-1)!, 1)}); ratio to one metric resolution + one sync period (${ref} s): ${fmt(median / ref, 2)}`;
  console.log(line);
  return [
    `Settings: \`--metric-resolution ${RESOLUTION_S}s\` (API server), \`--horizontal-pod-autoscaler-sync-period ${SYNC_S}s\`, \`--horizontal-pod-autoscaler-downscale-stabilization ${STABILIZATION_S}s\`; one Docker kubelet (PLEG relist 200 ms), busybox pods requesting 50m CPU (limit 100m) that burn while a switch file exists; HPA at 50 %, min 1, max 2 (\`kubectl autoscale\`). Everything in one process.`,
    '',
    '```',
    table([
      ['runs', 'median', 'min', 'max', 'reference (resolution + sync period)', 'ratio'],
      [String(RUNS), `${fmt(median, 1)} s`, `${fmt(sorted[0]!, 1)} s`, `${fmt(sorted.at(-1)!, 1)} s`, `${ref} s`, fmt(median / ref, 2)],
    ]),
    '```',
  ].join('\n');
}

function startProcess(argv: string[], ready: RegExp): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, ['bin/k8ts.js', ...argv], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, K8TS_LOG_LEVEL: 'warn' } });
  let out = '';
  return new Promise((resolve, reject) => {
    const on = (d: Buffer): void => {
      out += d;
      if (ready.test(out)) resolve({ child, out: () => out });
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.on('exit', (code) => reject(new Error(`k8ts ${argv[0]} exited ${code}: ${out}`)));
  });
}

async function metricsLatency(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-top-'));
  const total = NODES_N * PODS_PER_NODE;
  progress(`starting an API server and ${NODES_N} hollow nodes with kubelet servers`);
  const api = await startProcess(['apiserver', '--data-dir', dir, '--port', '0', '--metric-resolution', '10s'], /listening on/);
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const hollow = await startProcess(['hollow-nodes', '--kubeconfig', kubeconfig, '--count', String(NODES_N), '--kubelet-servers', '--name-prefix', 'top-node-'], new RegExp(`${NODES_N} hollow nodes running`));
  const client = RestClient.fromKubeconfig(kubeconfig, { component: 'bench-top', qps: 0 });
  try {
    // No controller manager runs here: the ServiceAccount admission needs the namespace's default account.
    await client.create({ group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true }, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'default' } } as any);
    progress(`creating ${total} pods (bound to the hollow nodes)`);
    await runConcurrent(total, 16, async (i) => {
      await client.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `top-${i}`, namespace: 'default', labels: { app: 'top' } }, spec: { nodeName: `top-node-${i % NODES_N}`, automountServiceAccountToken: false, containers: [{ name: 'c', image: 'k8ts.invalid/top:1', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } } as any);
    });
    let withMetrics = 0;
    const waitStart = Date.now();
    await until(`metrics for the pods`, async () => {
      const l = await client.request<any>('GET', '/apis/metrics.k8s.io/v1beta1/pods');
      withMetrics = l.items.length;
      progress(`metrics for ${withMetrics}/${total} pods`);
      // All of them, or (on a loaded machine where scrapes time out) whatever there is after two minutes.
      return withMetrics >= total || (withMetrics > 0 && Date.now() - waitStart > 120_000);
    }, 3000);
    let failures = 0;
    // A shared machine under load now and then stalls a TLS handshake past kubectl's 10 s: retried, and counted.
    const time = async (argv: string[]): Promise<number> => {
      for (let attempt = 0; ; attempt++) {
        const t0 = performance.now();
        const r = await kubectl(kubeconfig, argv);
        if (r.code === 0) return performance.now() - t0;
        failures++;
        progress(`kubectl ${argv.join(' ')} failed: ${r.stderr.trim()}`);
        if (attempt >= 3) throw new Error(r.stderr);
      }
    };
    const N = 10;
    const top: number[] = [];
    const get: number[] = [];
    const rawTop: number[] = [];
    const rawGet: number[] = [];
    for (let i = 0; i < N; i++) {
      top.push(await time(['top', 'pods', '-A']));
      get.push(await time(['get', 'pods', '-A']));
      let t0 = performance.now();
      await client.request('GET', '/apis/metrics.k8s.io/v1beta1/pods');
      rawTop.push(performance.now() - t0);
      t0 = performance.now();
      await client.request('GET', '/api/v1/pods');
      rawGet.push(performance.now() - t0);
    }
    const [a, b, c, d] = [top, get, rawTop, rawGet].map(summarize);
    const line = `kubectl top pods -A over ${total} pods (${withMetrics} with metrics) on ${NODES_N} hollow nodes: p50 ${fmt(a!.p50, 0)} ms (kubectl get pods -A: ${fmt(b!.p50, 0)} ms, ratio ${fmt(a!.p50 / b!.p50, 2)}); API only: PodMetrics list p50 ${fmt(c!.p50, 0)} ms vs pod list ${fmt(d!.p50, 0)} ms (ratio ${fmt(c!.p50 / d!.p50, 2)})`;
    console.log(line);
    return [
      `${total} pods (100m / 64Mi requests; ${withMetrics} had metrics when measured) on ${NODES_N} hollow nodes, each serving synthetic /metrics/resource on its own 127.96.x.y address; the API server (\`--metric-resolution 10s\`) and the hollow nodes in two processes; ${N} runs each, taken while the scrape loop keeps running. kubectl times include starting kubectl; ${failures} kubectl runs failed (TLS handshake timeouts on the loaded machine) and were retried.`,
      '',
      '```',
      table([
        ['request', 'p50', 'p99', 'reference', 'reference p50', 'ratio'],
        ['`kubectl top pods -A`', `${fmt(a!.p50, 0)} ms`, `${fmt(a!.p99, 0)} ms`, '`kubectl get pods -A`', `${fmt(b!.p50, 0)} ms`, fmt(a!.p50 / b!.p50, 2)],
        ['GET /apis/metrics.k8s.io/v1beta1/pods', `${fmt(c!.p50, 0)} ms`, `${fmt(c!.p99, 0)} ms`, 'GET /api/v1/pods', `${fmt(d!.p50, 0)} ms`, fmt(c!.p50 / d!.p50, 2)],
      ]),
      '```',
    ].join('\n');
  } finally {
    client.close();
    hollow.child.kill('SIGTERM');
    await new Promise((r) => hollow.child.once('exit', r));
    api.child.kill('SIGTERM');
    await new Promise((r) => api.child.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
}

const parts: string[] = [];
const load = async (f: () => Promise<string>): Promise<string> => {
  const before = loadavg()[0]!;
  const text = await f();
  return `${text}\n\nLoad average (1 min) at the start and end: ${fmt(before, 1)}-${fmt(loadavg()[0]!, 1)} on 2 shared cores (${new Date().toISOString().slice(0, 16)} UTC).`;
};
parts.push('### Metrics API latency\n\n' + (await load(metricsLatency)));
if (!args.includes('--skip-docker')) parts.push('### HPA reaction time\n\n' + (await load(hpaReaction)));
if (!args.includes('--no-write')) await writeSection(join(repo, 'docs', 'benchmarks.md'), 'Resource metrics and HPA', parts.join('\n\n'));
else console.log(parts.join('\n\n'));
process.exit(0);
