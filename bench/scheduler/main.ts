// Scheduler figures after upstream's scheduler_perf SchedulingBasic: N nodes,
// some pods already placed, then M more created as fast as the API server
// takes them; throughput is pods/s from the first creation to the last
// binding, with p99 creation→binding latency and the scheduler's peak RSS.
// API server and scheduler each run in their own process, on SQLite.
// Run: npm run build && node dist/bench/scheduler/main.js [--quick] [--sizes 500,5000,15000]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RestClient } from '../../src/client/rest.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import type { KubeObject } from '../../src/api/types.js';
import { fmt, runConcurrent, summarize, table, writeSection } from '../lib/stats.js';
import { PODS, NODES } from '../../src/scheduler/api.js';
import { resourcePath } from '../../src/client/paths.js';
import { algorithmThroughput } from './algorithm.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const UPSTREAM_CI_MIN = 270;
const podsPath = resourcePath(PODS, 'default');
const SERVICE_ACCOUNTS = { group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true };

interface Case {
  nodes: number;
  initPods: number;
  pods: number;
}

const ALL_CASES: Case[] = quick
  ? [{ nodes: 500, initPods: 500, pods: 1000 }]
  : [
      { nodes: 500, initPods: 500, pods: 1000 },
      { nodes: 5000, initPods: 1000, pods: 10000 },
      { nodes: 15000, initPods: 1000, pods: 10000 },
    ];
const sizesArg = args.includes('--sizes') ? args[args.indexOf('--sizes') + 1]!.split(',').map(Number) : undefined;
const CASES = sizesArg ? ALL_CASES.filter((c) => sizesArg.includes(c.nodes)) : ALL_CASES;
// --cpu-prof DIR: the API server and scheduler processes write V8 CPU profiles there on exit.
const profDir = args.includes('--cpu-prof') ? args[args.indexOf('--cpu-prof') + 1] : undefined;
const profArgs = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
// --api-node-flags / --sched-node-flags "…": extra node flags for the API server's or the scheduler's process (GC experiments).
const nodeFlags = (name: string): string[] => (args.includes(name) ? args[args.indexOf(name) + 1]!.split(' ').filter(Boolean) : []);
const API_NODE_FLAGS = nodeFlags('--api-node-flags');
const SCHED_NODE_FLAGS = nodeFlags('--sched-node-flags');

function spawnReady(argv: string[], ready: RegExp, flags: string[] = []): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, [...profArgs, ...flags, ...argv], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, K8TS_LOG_LEVEL: 'warn' } });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = out.match(ready);
      if (m) resolve({ child, match: m });
    });
    child.on('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}: ${out}`)));
  });
}

/** A process's CPU time so far, user and system, in ms, from /proc (USER_HZ 100). */
async function cpuMs(pid: number): Promise<{ user: number; sys: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) * 10, sys: Number(f[12]) * 10 };
}

/** CPU per measured pod of one process: user + system, and the system part. */
interface PodCpu {
  total: number;
  sys: number;
}

const perPod = (a: { user: number; sys: number }, b: { user: number; sys: number }, pods: number): PodCpu => ({
  total: (b.user - a.user + b.sys - a.sys) / pods,
  sys: (b.sys - a.sys) / pods,
});

async function peakRssMiB(pid: number): Promise<number> {
  const s = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = s.match(/VmHWM:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : NaN;
}

const nodeBody = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  spec: {},
  status: {
    capacity: { pods: '110', cpu: '4', memory: '32Gi' },
    allocatable: { pods: '110', cpu: '4', memory: '32Gi' },
    conditions: [{ type: 'Ready', status: 'True' }],
  },
});

const podBody = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: {
    containers: [
      {
        name: 'pause',
        image: 'registry.k8s.io/pause:3.10',
        ports: [{ containerPort: 80 }],
        resources: { limits: { cpu: '100m', memory: '500Mi' }, requests: { cpu: '100m', memory: '500Mi' } },
      },
    ],
  },
});

interface Result {
  c: Case;
  drain: number;
  algorithm: number;
  seconds: number;
  throughput: number;
  p50: number;
  p99: number;
  rss: number;
  createRate: number;
  /** The API server's CPU (user + system) per measured pod, from the first creation until the last binding was seen: create, binding, Event, watch events. */
  apiCpu: PodCpu;
  /** The scheduler's, over the same span. */
  schedCpu: PodCpu;
  /** This process's (the 32 creating clients and the binding watch), over the same span. */
  benchCpu: PodCpu;
  /** 1-minute load average when the case started (the machine is shared). */
  load: number;
}

async function runCase(c: Case): Promise<Result> {
  const load = loadavg()[0]!;
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-sched-bench-'));
  const api = await spawnReady(['bin/k8ts.js', 'apiserver', '--data-dir', dir, '--port', '0'], /listening on (https?:\/\/\S+)/, API_NODE_FLAGS);
  let sched: ChildProcess | undefined;
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const client = new RestClient(loadKubeconfig(kubeconfig), { qps: 100_000, burst: 100_000, component: 'bench' });
  try {
    process.stdout.write(`${c.nodes} nodes: creating nodes… `);
    await runConcurrent(c.nodes, 64, async (i) => void (await client.create(NODES, undefined, nodeBody(`node-${i}`))));
    // No controller-manager runs here, so create what the ServiceAccount admission plugin looks up.
    await client.create(SERVICE_ACCOUNTS, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'default' } }).catch(() => undefined);
    const startScheduler = async () => {
      const s = await spawnReady(['dist/bench/scheduler/scheduler-process.js', kubeconfig], /scheduler started/, SCHED_NODE_FLAGS);
      sched = s.child;
    };

    const created = new Map<string, number>();
    const bound = new Map<string, number>();
    let onBound: (() => void) | undefined;
    let want = 0;
    const list = await client.list(PODS, 'default');
    // Only bound pods: a pod enters this selection with its binding (an ADDED event), so the bench decodes one event
    // per pod and the API server sends it one, not the create's as well. The bench's CPU is the machine's too.
    const watch = client.watch<KubeObject>(PODS, 'default', { resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true, fieldSelector: 'spec.nodeName!=' }, (ev) => {
      const name = ev.object?.metadata?.name;
      if (!name || ev.type === 'DELETED' || ev.type === 'BOOKMARK' || bound.has(name)) return;
      if ((ev.object as { spec?: { nodeName?: string } }).spec?.nodeName) {
        bound.set(name, performance.now());
        if (bound.size >= want) onBound?.();
      }
    });
    // The reply (the created pod) is not read: send the request and check the code, without decoding the body.
    const createPod = async (name: string): Promise<void> => {
      const r = await client.requestRaw('POST', podsPath, JSON.stringify(podBody(name)), { 'Content-Type': 'application/json' });
      if (r.statusCode !== 201) throw new Error(`create pod ${name}: HTTP ${r.statusCode}: ${r.body.toString('utf8').slice(0, 500)}`);
    };
    const createAll = async (prefix: string, n: number): Promise<number> => {
      want += n;
      const done = new Promise<void>((r) => (onBound = r));
      const t = await runConcurrent(n, 32, async (i) => {
        const name = `${prefix}-${i}`;
        created.set(name, performance.now());
        await createPod(name);
      });
      await done;
      return n / t.seconds;
    };
    // Backlog first: pods created while no scheduler runs, then drained; the API server's create rate does not bound this one.
    process.stdout.write(`${c.initPods} pods as a backlog… `);
    const backlog = c.initPods;
    await runConcurrent(backlog, 32, (i) => createPod(`init-${i}`));
    want += backlog;
    const drained = new Promise<void>((r) => (onBound = r));
    await startScheduler();
    await drained;
    const initBound = [...bound.values()];
    const drain = backlog / ((Math.max(...initBound) - Math.min(...initBound)) / 1000);
    process.stdout.write(`${c.pods} measured pods… `);
    const t0 = performance.now();
    const self0 = process.cpuUsage();
    const [api0, sched0] = await Promise.all([cpuMs(api.child.pid!), cpuMs(sched!.pid!)]);
    const createRate = await createAll('pod', c.pods);
    // The scheduler's Events may still be on their way; their CPU is part of a pod's cost, so it counts as well as it can.
    const [api1, sched1] = await Promise.all([cpuMs(api.child.pid!), cpuMs(sched!.pid!)]);
    const self1 = process.cpuUsage(self0);
    const apiCpu = perPod(api0, api1, c.pods);
    const schedCpu = perPod(sched0, sched1, c.pods);
    const benchCpu = perPod({ user: 0, sys: 0 }, { user: self1.user / 1000, sys: self1.system / 1000 }, c.pods);
    const names = [...created.keys()].filter((n) => n.startsWith('pod-'));
    const last = Math.max(...names.map((n) => bound.get(n)!));
    const first = Math.min(...names.map((n) => created.get(n)!));
    const seconds = (last - first) / 1000;
    const lat = summarize(names.map((n) => bound.get(n)! - created.get(n)!));
    const rss = await peakRssMiB(sched!.pid!);
    watch.stop();
    process.stdout.write(`done in ${fmt((performance.now() - t0) / 1000)} s (CPU ms/pod: API server ${fmt(apiCpu.total, 3)}, scheduler ${fmt(schedCpu.total, 3)}, bench ${fmt(benchCpu.total, 3)}); in-process cycle… `);
    const algorithm = algorithmThroughput(c.nodes, c.initPods, c.pods);
    process.stdout.write('\n');
    return { c, seconds, throughput: c.pods / seconds, p50: lat.p50, p99: lat.p99, rss, createRate, apiCpu, schedCpu, benchCpu, drain, algorithm, load };
  } finally {
    client.close();
    // The scheduler first (it flushes its events), then the API server.
    const exited = (ch: ChildProcess) => new Promise((r) => (ch.exitCode !== null || ch.signalCode !== null ? r(null) : ch.once('exit', r)));
    const s = sched as ChildProcess | undefined;
    if (s) {
      // A profiled scheduler must exit by itself to write its profile.
      s.kill(profDir ? 'SIGTERM' : 'SIGKILL');
      await exited(s);
    }
    api.child.kill('SIGTERM');
    await exited(api.child);
    await rm(dir, { recursive: true, force: true });
  }
}

const results: Result[] = [];
for (const c of CASES) results.push(await runCase(c));

const rows = [
  ['nodes', 'placed first', 'measured pods', 'pods/s create→bound', 'vs upstream CI min 270', 'p50 ms', 'p99 ms', 'API create pods/s', 'CPU ms/pod API server (sys)', 'scheduler (sys)', 'bench clients (sys)', 'backlog drain pods/s', 'cycle alone pods/s', 'scheduler peak RSS MiB', 'load at start (2 cores)'],
  ...results.map((r) => [
    String(r.c.nodes),
    String(r.c.initPods),
    String(r.c.pods),
    fmt(r.throughput, 0),
    `${fmt(r.throughput / UPSTREAM_CI_MIN, 2)}x`,
    fmt(r.p50, 0),
    fmt(r.p99, 0),
    fmt(r.createRate, 0),
    ...[r.apiCpu, r.schedCpu, r.benchCpu].map((u) => `${fmt(u.total, 3)} (${fmt(u.sys, 3)})`),
    fmt(r.drain, 0),
    fmt(r.algorithm, 0),
    fmt(r.rss, 0),
    fmt(r.load, 1),
  ]),
];
const body = [
  "Upstream's scheduler_perf SchedulingBasic shape: nodes of 4 cpu / 32Gi / 110 pods, pods requesting 100m / 500Mi with a container port,",
  'all default plugins enabled, percentageOfNodesToScore adaptive (upstream default). The API server (`k8ts apiserver`, SQLite) and the',
  'scheduler run in separate processes; pods are created by 32 concurrent clients; throughput runs from the first creation to the last',
  'binding seen on a watch (it cannot exceed the API server\'s create rate, shown beside it). "Backlog drain" creates the first pods while no',
  'scheduler runs, then starts one and times first to last binding: scheduling plus binding writes, without the create rate as a ceiling.',
  '"Cycle alone" runs the same cache, snapshot and default plugins in process with binding stubbed out: the scheduler\'s own ceiling.',
  'The scheduler client runs at 5,000 qps (as scheduler_perf configures it; the flag default is upstream\'s 50).',
  'CPU ms/pod: each process\'s user + system CPU over the measured pods divided by their number, the system part in brackets; the',
  'bench\'s own is its 32 creating clients (replies not decoded) and its binding watch (`spec.nodeName!=`: one event per pod).',
  '',
  '```',
  table(rows),
  '```',
].join('\n');
console.log('\n' + table(rows));
if (!quick && !sizesArg) await writeSection(join(repo, 'docs', 'benchmarks.md'), 'Scheduler', body);
