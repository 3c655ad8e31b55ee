// Issue #7's failover figures on hollow nodes: N nodes, P pods in
// Deployments, D nodes die at once (their hollow kubelets stop: no Lease,
// no status). Measured from the death: all D nodes NotReady, every
// replacement bound, every replacement Running; with upstream's defaults and
// with the fast profile. Also the ReplicaSet's creation rate for a scale
// from 0 to S pods. `k8ts server --disable-agent` and `k8ts hollow-nodes`
// run in their own processes; the bench watches through informers.
// Run: npm run build && node dist/bench/failover/main.js [--nodes 1000] [--pods 30000] [--dead 10] [--scale 10000] [--profiles fast,default] [--split] [--hollow-procs 1] [--trace] [--no-apf] [--max-inflight R,M] [--admin-clients] [--switch-after-setup [--steady 60] [--switch-when-load-below L]] [--no-write]
// Every 10 s it prints each process's CPU (user+system, % of one core), the load average and the hollow nodes' Lease
// renewal gaps, so a run that does not hold says where the CPU went.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RestClient } from '../../src/client/rest.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { Informer } from '../../src/client/informer.js';
import type { KubeObject } from '../../src/api/types.js';
import { fmt, table, writeSection } from '../lib/stats.js';
import { benchNodeArgs, option as opt } from '../lib/args.js';
import { issueClientCert, type ClusterPki } from '../../src/pki/index.js';
import { writeKubeconfig } from '../../src/apiserver/kubeconfig.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const NODES_N = Number(opt('--nodes', '1000'));
const PODS_N = Number(opt('--pods', '30000'));
const DEAD_N = Number(opt('--dead', '10'));
const SCALE_N = Number(opt('--scale', '10000'));
const PROFILES = opt('--profiles', 'fast,default').split(',');
const args = process.argv.slice(2);
const SPLIT = args.includes('--split');
/** Hollow-nodes processes the fleet is split over (each its own event loops and connections). */
const HOLLOW_PROCS = Number(opt('--hollow-procs', '1'));
const PER_DEPLOYMENT = 1000;
/** --no-apf: the API server with the max-in-flight filter instead of API Priority and Fairness (for A/B runs). */
/** --max-inflight R,M: the API server's --max-requests-inflight and --max-mutating-requests-inflight (with APF, R+M is its concurrency limit). */
const MAX_INFLIGHT = args.includes('--max-inflight') ? opt('--max-inflight', '400,200').split(',') : undefined;
const EXTRA_API_FLAGS = [
  ...(args.includes('--no-apf') ? ['--enable-priority-and-fairness=false'] : []),
  ...(MAX_INFLIGHT ? ['--max-requests-inflight', MAX_INFLIGHT[0]!, '--max-mutating-requests-inflight', MAX_INFLIGHT[1] ?? MAX_INFLIGHT[0]!] : []),
];
/**
 * --admin-clients: every process talks as the admin (system:masters), as this bench did before; then API
 * Priority and Fairness exempts all of it. By default the scheduler and controller manager run as
 * themselves (--split) and the hollow nodes as one identity in system:nodes, so the API server classifies
 * their requests as upstream's would a kubelet's (node-high for Leases and Nodes, system for the rest).
 */
const ADMIN_CLIENTS = args.includes('--admin-clients');
/**
 * --switch-after-setup (with --split): the fast profile's cluster is built under upstream's default heartbeat and
 * node monitor (Leases of 40 s renewed every 10 s, grace 50 s), then switched to the fast profile before the kill:
 * every hollow node's Lease to 4 s renewed every second (the control API's PUT /leases, what a rolling kubelet
 * restart with the new nodeLeaseDurationSeconds does) and the controller manager restarted with the fast flags.
 * The pods' 0 s tolerations come from the API server's flags, in force from the start. Then --steady seconds of
 * the fast profile at rest, every live node's readiness watched, before the kill. Why: on two cores the set-up
 * (30,000 pods started by hollow kubelets) and 1,000 Lease writes a second do not fit together; at rest they do.
 */
const SWITCH_AFTER_SETUP = args.includes('--switch-after-setup');
const STEADY_S = Number(opt('--steady', '60'));
/**
 * --switch-when-load-below L (with --switch-after-setup): after the set-up, wait until the machine's 1-minute load
 * average is below L before the switch. The set-up holds under the default heartbeat on a busy machine; the fast
 * profile's second-by-second heartbeat and the failover figure need the two cores to themselves.
 */
const SWITCH_LOAD = args.includes('--switch-when-load-below') ? Number(opt('--switch-when-load-below', '0')) : undefined;
if (SWITCH_LOAD !== undefined && !(SWITCH_LOAD > 0)) throw new Error('--switch-when-load-below takes a load average above 0');
if (SWITCH_AFTER_SETUP && !SPLIT) throw new Error('--switch-after-setup needs --split (the controller manager is restarted on its own)');
/** The hollow fleet's user: in system:nodes, but not system:node:NAME (the Node authorizer would confine it to one node). */
const HOLLOW_USER = 'k8ts:hollow-nodes';

/** A kubeconfig for a client certificate of `user` in `groups`, issued from the cluster CA in DIR/pki. */
async function identityKubeconfig(dir: string, adminKubeconfig: string, name: string, user: string, groups: string[]): Promise<string> {
  const caCertPem = await readFile(join(dir, 'pki', 'ca.crt'), 'utf8');
  const caKeyPem = await readFile(join(dir, 'pki', 'ca.key'), 'utf8');
  const cert = await issueClientCert({ caCertPem, caKeyPem } as ClusterPki, { commonName: user, organizations: groups });
  const b64 = (t: string): string => Buffer.from(t).toString('base64');
  const path = join(dir, `${name}.kubeconfig`);
  await writeKubeconfig(path, { server: loadKubeconfig(adminKubeconfig).server, user, caData: b64(caCertPem), clientCertData: b64(cert.certPem), clientKeyData: b64(cert.keyPem) });
  return path;
}

const NODES = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true };

interface Profile {
  name: string;
  /** The API server's flags (admission defaults) and the controller manager's (node lifecycle). */
  apiFlags: string[];
  cmFlags: string[];
  leaseSeconds: number;
  /** What upstream takes with its defaults, for the ratio: grace period + toleration (seconds). */
  upstreamSeconds: number;
  describe: string;
}

const PROFILE: Record<string, Profile> = {
  default: {
    name: 'upstream defaults',
    apiFlags: [],
    cmFlags: [],
    leaseSeconds: 40,
    upstreamSeconds: 50 + 300,
    describe: 'grace 50 s, lease 40 s (renewed every 10 s), tolerations 300 s, eviction rate 0.1 nodes/s',
  },
  fast: {
    name: 'fast profile',
    apiFlags: ['--default-not-ready-toleration-seconds', '0', '--default-unreachable-toleration-seconds', '0'],
    cmFlags: ['--node-monitor-grace-period', '4s', '--node-monitor-period', '1s', '--node-eviction-rate', '100'],
    leaseSeconds: 4,
    upstreamSeconds: 50 + 300,
    describe: 'grace 4 s, lease renewed every 1 s, tolerations 0 s, eviction rate 100 nodes/s',
  },
};

// What a stopped bench must not leave behind: a SIGTERM or SIGINT (a run given up by hand) ends the
// cluster's processes and removes the data directories, as the finally blocks would.
const running = new Set<ChildProcess>();
const dirs = new Set<string>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    process.stderr.write(`failover bench: ${sig}, stopping ${running.size} processes\n`);
    for (const c of running) c.kill('SIGTERM');
    setTimeout(() => {
      for (const c of running) c.kill('SIGKILL');
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
      process.exit(130);
    }, 3000);
  });
}

/** --child-logs DIR: every process's output (at K8TS_LOG_LEVEL, default error) also into DIR/NAME-PID.log, to see why one stalls. */
const CHILD_LOGS = opt('--child-logs', '');

/**
 * K8TS_BENCH_NODE_ARGS: more flags for every child's node, as the other benches take (e.g. --perf-basic-prof, for
 * `perf record -p` of one process at rest, or --cpu-prof). Not --inspect: its "Debugger listening on" line on
 * stderr meets the API server's readiness pattern (/listening on/) before the server is ready.
 */
const CHILD_NODE_ARGS = benchNodeArgs();

function spawnK8ts(argv: string[], ready: RegExp, logLevel = process.env.K8TS_LOG_LEVEL ?? 'error'): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, [...CHILD_NODE_ARGS, 'bin/k8ts.js', ...argv], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, K8TS_LOG_LEVEL: logLevel } });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  const file = CHILD_LOGS ? createWriteStream(join(CHILD_LOGS, `${argv[0]}-${child.pid}.log`)) : undefined;
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  if (file) {
    child.stdout!.pipe(file);
    child.stderr!.pipe(file);
  }
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', () => {
      if (ready.test(out)) resolve({ child, out: () => out });
    });
    child.once('exit', (code) => reject(new Error(`k8ts ${argv[0]} exited ${code}:\n${out}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

async function waitFor(what: string, test: () => boolean, timeoutMs: number, every = 200): Promise<number> {
  const t0 = Date.now();
  let last = 0;
  while (!test()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    if (Date.now() - last > 10_000) {
      last = Date.now();
      process.stderr.write(`  … waiting for ${what} (${Math.round((Date.now() - t0) / 1000)} s)\n`);
    }
    await new Promise((r) => setTimeout(r, every));
  }
  return Date.now();
}

function ready(n: KubeObject): string | undefined {
  return ((n.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Ready')?.status;
}

const deployment = (name: string, replicas: number): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default' },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'hollow/app:1', resources: { requests: { cpu: '1m', memory: '1Mi' } } }] } },
  },
});

interface Row {
  profile: Profile;
  notReadyS: number;
  boundS: number;
  runningS: number;
  replaced: number;
  scaleCreatePerS?: number;
  scaleRunningPerS?: number;
  /** With --switch-after-setup: the most live nodes seen not Ready at once during the steady window. */
  steadyMaxNotReady?: number;
}

/** utime+stime of a process in clock ticks (USER_HZ, 100 on Linux), from /proc. */
async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11] ?? 0) + Number(f[12] ?? 0);
}

/** Every 10 s: each process's share of a core since the last sample, the load average, and what the Lease workers saw. */
function cpuSampler(procs: () => { name: string; pid: number }[], leasePorts: () => number[], t0: number, cluster: () => string, apf: () => Promise<string>): () => void {
  let last = new Map<number, number>();
  let lastAt = Date.now();
  const timer = setInterval(() => {
    void (async () => {
      const now = Date.now();
      const cur = new Map<number, number>();
      const parts: string[] = [];
      let total = 0;
      for (const p of procs()) {
        const t = await cpuTicks(p.pid);
        cur.set(p.pid, t);
        const prev = last.get(p.pid);
        if (prev === undefined) continue;
        const pct = ((t - prev) / 100 / ((now - lastAt) / 1000)) * 100;
        total += pct;
        parts.push(`${p.name} ${fmt(pct, 0)}%`);
      }
      const gaps: string[] = [];
      for (const port of leasePorts()) {
        const s = (await fetch(`http://127.0.0.1:${port}/leases`).then((r) => r.json()).catch(() => ({}))) as { live?: number; windowMaxGapMs?: number; maxGapMs?: number; oldestMs?: number; renewals?: number; failures?: number };
        if (s.live !== undefined) gaps.push(`live ${s.live} gap≤${fmt((s.windowMaxGapMs ?? 0) / 1000, 1)} s (ever ${fmt((s.maxGapMs ?? 0) / 1000, 1)} s) renewals ${s.renewals} failed ${s.failures}`);
      }
      const flow = await apf().catch(() => '');
      if (parts.length) process.stderr.write(`  [cpu t+${fmt((now - t0) / 1000, 0)} s] ${parts.join(', ')}, total ${fmt(total, 0)}% | load ${loadavg().map((l) => fmt(l, 1)).join(' ')} | ${cluster()} | leases ${gaps.join('; ')}${flow ? ` | apf ${flow}` : ''}\n`);
      last = cur;
      lastAt = now;
    })();
  }, 10_000);
  return () => clearInterval(timer);
}

/** The API server's priority levels from /metrics: executing/queued per level with anything in it, and rejections. */
function apfSummary(text: string): string {
  const per = new Map<string, { exec: number; queued: number }>();
  let rejected = 0;
  for (const line of text.split('\n')) {
    const m = /^apiserver_flowcontrol_(current_executing_requests|current_inqueue_requests|rejected_requests_total)\{([^}]*)\} (\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[3]);
    if (m[1] === 'rejected_requests_total') {
      if (!/reason="cancelled"/.test(m[2]!)) rejected += v;
      continue;
    }
    const level = /priority_level="([^"]*)"/.exec(m[2]!)?.[1] ?? '?';
    const e = per.get(level) ?? { exec: 0, queued: 0 };
    if (m[1] === 'current_executing_requests') e.exec += v;
    else e.queued += v;
    per.set(level, e);
  }
  const levels = [...per].filter(([, e]) => e.exec + e.queued > 0).map(([l, e]) => `${l} ${e.exec}/${e.queued}`);
  return per.size ? `exec/queued ${levels.join(', ') || 'idle'}, rejected ${rejected}` : '';
}

async function runProfile(p: Profile, measureScale: boolean): Promise<Row> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-failover-'));
  dirs.add(dir);
  process.stderr.write(`== ${p.name}: ${NODES_N} hollow nodes, ${PODS_N} pods, ${DEAD_N} die (${p.describe})\n`);
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const switching = SWITCH_AFTER_SETUP && p.leaseSeconds !== PROFILE.default!.leaseSeconds;
  const cmBase = ['--kube-api-qps', '5000', '--kube-api-burst', '5000', '--concurrent-replicaset-syncs', '10'];
  const cmFlags = [...cmBase, ...(switching ? [] : p.cmFlags)];
  const setupLeaseSeconds = switching ? PROFILE.default!.leaseSeconds : p.leaseSeconds;
  // --split: the API server, controller manager and scheduler each in a process of their own, as upstream deploys them
  // (and kubemark measures them): on a multi-core machine the controllers and the scheduler then stop queueing behind
  // the API server's requests on one event loop. Without it, `k8ts server` runs all three in one process.
  const control: { child: ChildProcess; out: () => string }[] = [];
  let restartControllerManager: (() => Promise<void>) | undefined;
  if (SPLIT) {
    control.push(await spawnK8ts(['apiserver', '--data-dir', dir, '--port', '0', ...p.apiFlags, ...EXTRA_API_FLAGS], /listening on/));
    const cmConfig = ADMIN_CLIENTS ? kubeconfig : await identityKubeconfig(dir, kubeconfig, 'controller-manager', 'system:kube-controller-manager', []);
    const schedConfig = ADMIN_CLIENTS ? kubeconfig : await identityKubeconfig(dir, kubeconfig, 'scheduler', 'system:kube-scheduler', []);
    // As kubeadm runs it: each controller as its own kube-system service account.
    const cmIdentity = ADMIN_CLIENTS ? [] : ['--use-service-account-credentials'];
    const cmArgs = (flags: string[]): string[] => ['controller-manager', '--kubeconfig', cmConfig, '--leader-elect=false', '--root-ca-file', join(dir, 'pki', 'ca.crt'), ...cmIdentity, ...flags];
    restartControllerManager = async () => {
      await stop(control[1]!.child);
      // At info level it logs each node its node monitor meets: the bench's sign that the monitor runs.
      const level = process.env.K8TS_LOG_LEVEL === 'debug' || process.env.K8TS_LOG_LEVEL === 'trace' ? process.env.K8TS_LOG_LEVEL : 'info';
      control[1] = await spawnK8ts(cmArgs([...cmBase, ...p.cmFlags]), /controller manager started/, level);
    };
    control.push(await spawnK8ts(cmArgs(cmFlags), /controller manager started/));
    control.push(await spawnK8ts(['scheduler', '--kubeconfig', schedConfig, '--leader-elect=false', '--kube-api-qps', '5000', '--kube-api-burst', '5000'], /scheduler is running/));
  } else {
    control.push(await spawnK8ts(['server', '--data-dir', dir, '--port', '0', '--disable-agent', ...cmFlags, ...p.apiFlags, ...EXTRA_API_FLAGS], /is ready/));
  }
  const hollows: { child: ChildProcess; out: () => string; port: number; prefix: string }[] = [];
  const names = SPLIT ? ['apiserver', 'controller-manager', 'scheduler'] : ['server'];
  const stopSampler = cpuSampler(
    () => [...control.map((c, i) => ({ name: names[i]!, pid: c.child.pid! })), ...hollows.map((h, i) => ({ name: `hollow${hollows.length > 1 ? i : ''}`, pid: h.child.pid! })), { name: 'bench', pid: process.pid }],
    () => hollows.map((h) => h.port),
    Date.now(),
    () => {
      const all = nodes.store.list();
      return `nodes not Ready ${all.filter((n) => ready(n) !== 'True').length}/${all.length}, pods ${pods.store.list().length} (Running ${pods.store.list().filter((x) => (x.status as { phase?: string } | undefined)?.phase === 'Running').length})`;
    },
    async () => apfSummary((await client.requestRaw('GET', '/metrics')).body.toString()),
  );
  const client = new RestClient(loadKubeconfig(kubeconfig), { component: 'bench-failover', qps: 1000, burst: 1000 });
  const nodes = new Informer<KubeObject>(client, NODES);
  const pods = new Informer<KubeObject>(client, PODS);
  try {
    let hollowConfig = kubeconfig;
    if (!ADMIN_CLIENTS) {
      hollowConfig = await identityKubeconfig(dir, kubeconfig, 'hollow-nodes', HOLLOW_USER, ['system:nodes']);
      const crb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'k8ts-hollow-nodes' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: HOLLOW_USER }] };
      await client.create({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings', namespaced: false }, undefined, crb as unknown as KubeObject);
    }
    // --hollow-procs N: the fleet split over N processes (node names hollow-node-p<k>-<i>), started together.
    const starts = Array.from({ length: HOLLOW_PROCS }, async (_, k) => {
      const count = Math.floor(NODES_N / HOLLOW_PROCS) + (k < NODES_N % HOLLOW_PROCS ? 1 : 0);
      const prefix = HOLLOW_PROCS > 1 ? `hollow-node-p${k}-` : 'hollow-node-';
      const h = await spawnK8ts(['hollow-nodes', '--kubeconfig', hollowConfig, '--count', String(count), '--name-prefix', prefix, '--lease-duration', String(setupLeaseSeconds), '--root-dir', join(dir, `hollow-${k}`)], /hollow nodes running/);
      hollows.push({ ...h, prefix, port: Number(/control API on http:\/\/127\.0\.0\.1:(\d+)/.exec(h.out())![1]) });
    });
    await Promise.all(starts);
    // The longest prefix first: hollow-node-p1- must not claim hollow-node-p10-0.
    const portOf = (node: string): number => [...hollows].sort((a, b) => b.prefix.length - a.prefix.length).find((h) => node.startsWith(h.prefix) && /^\d+$/.test(node.slice(h.prefix.length)))!.port;
    // Every pod the set-up brings into being, counted once: beyond the replicas asked for, the ReplicaSets over-created.
    const podsSeen = new Set<string>();
    pods.addEventHandler({ onAdd: (x) => podsSeen.add(x.metadata.uid!) });
    nodes.start();
    pods.start();
    await nodes.waitForSync();
    await pods.waitForSync();
    await waitFor(`${NODES_N} Ready nodes`, () => nodes.store.list().filter((n) => ready(n) === 'True').length === NODES_N, 300_000);

    const running = (x: KubeObject) => (x.status as { phase?: string } | undefined)?.phase === 'Running' && !x.metadata.deletionTimestamp;
    let scaleCreatePerS: number | undefined;
    let scaleRunningPerS: number | undefined;
    let created = 0;
    /** Replicas per Deployment (its pods' app label): "all replaced" is per Deployment, so a ReplicaSet's surplus cannot stand in for missing pods. */
    const want = new Map<string, number>();
    if (measureScale) {
      await client.create(DEPLOYMENTS, 'default', deployment('scale', 0));
      await new Promise((r) => setTimeout(r, 2000));
      const t0 = Date.now();
      await client.patch(DEPLOYMENTS, 'default', 'scale', 'merge', { spec: { replicas: SCALE_N } });
      const tCreated = await waitFor(`${SCALE_N} pods created`, () => pods.store.list().length >= SCALE_N, 1_800_000, 50);
      const tRunning = await waitFor(`${SCALE_N} pods Running`, () => pods.store.list().filter(running).length >= SCALE_N, 1_800_000, 100);
      scaleCreatePerS = SCALE_N / ((tCreated - t0) / 1000);
      scaleRunningPerS = SCALE_N / ((tRunning - t0) / 1000);
      created = SCALE_N;
      want.set('scale', SCALE_N);
      process.stderr.write(`  scale 0 → ${SCALE_N}: ${fmt(scaleCreatePerS, 0)} pods/s created, ${fmt(scaleRunningPerS, 0)} pods/s Running\n`);
    }
    for (let i = 0; created < PODS_N; i++) {
      const n = Math.min(PER_DEPLOYMENT, PODS_N - created);
      await client.create(DEPLOYMENTS, 'default', deployment(`web-${i}`, n));
      want.set(`web-${i}`, n);
      created += n;
    }
    await waitFor(`${PODS_N} pods Running`, () => pods.store.list().filter(running).length >= PODS_N, 3_600_000, 500);
    process.stderr.write(`  set-up: ${podsSeen.size} pods created for ${PODS_N} replicas (${podsSeen.size - PODS_N} over)\n`);
    let steadyMaxNotReady: number | undefined;
    if (switching && SWITCH_LOAD !== undefined) {
      const t = Date.now();
      for (let last = 0; loadavg()[0]! >= SWITCH_LOAD; ) {
        if (Date.now() - t > 4 * 3600_000) throw new Error(`the load average stayed at or above ${SWITCH_LOAD} for 4 hours`);
        if (Date.now() - last > 60_000) {
          last = Date.now();
          process.stderr.write(`  … waiting for the 1-minute load average below ${SWITCH_LOAD} before the switch: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (${Math.round((Date.now() - t) / 1000)} s)\n`);
        }
        await new Promise((r) => setTimeout(r, 5000));
      }
    }
    if (switching) {
      process.stderr.write(`  set up under the default heartbeat; switching to the fast profile: Leases of ${p.leaseSeconds} s, controller manager ${p.cmFlags.join(' ')}\n`);
      for (const h of hollows) {
        const r = await fetch(`http://127.0.0.1:${h.port}/leases`, { method: 'PUT', body: JSON.stringify({ leaseDurationSeconds: p.leaseSeconds }) });
        if (!r.ok) throw new Error(`PUT /leases on the hollow process at ${h.port}: ${r.status} ${await r.text()}`);
      }
      // A node monitor with a 4 s grace must not see a Lease written on the old 10 s period.
      await new Promise((r) => setTimeout(r, ((PROFILE.default!.leaseSeconds / 4) * 1000) + 2000));
      await restartControllerManager!();
      // Its node monitor starts once its informers hold every pod; until then nobody marks a silent node, and a
      // window of Ready nodes would prove nothing. Its first pass logs every node it meets. (Counting its
      // RegisteredNode events instead measured its event writer: one event at a time, 60 ms each with 1,000
      // renewals a second in the API server, so a minute for 1,000 nodes; and a list of the namespace's events
      // with 30,000 pods' events in it every 2 s.)
      const t = Date.now();
      const seen = /"node":"([^"]+)","msg":"Controller observed a new Node"/g;
      for (let registered = 0, last = 0; registered < NODES_N; ) {
        if (Date.now() - t > 900_000) throw new Error(`the restarted controller manager's node monitor met ${registered} of ${NODES_N} nodes in 900 s`);
        await new Promise((r) => setTimeout(r, 500));
        registered = new Set([...control[1]!.out().matchAll(seen)].map((m) => m[1])).size;
        if (Date.now() - last > 10_000 || registered >= NODES_N) {
          last = Date.now();
          process.stderr.write(`  … restarted controller manager's node monitor: ${registered} of ${NODES_N} nodes met (${Math.round((Date.now() - t) / 1000)} s)\n`);
        }
      }
      const notReady = (): number => nodes.store.list().filter((n) => ready(n) !== 'True').length;
      await waitFor(`${NODES_N} Ready nodes after the switch`, () => notReady() === 0, 300_000);
      process.stderr.write(`  fast profile at rest for ${STEADY_S} s before the kill\n`);
      steadyMaxNotReady = 0;
      const steadyEnd = Date.now() + STEADY_S * 1000;
      while (Date.now() < steadyEnd) {
        steadyMaxNotReady = Math.max(steadyMaxNotReady, notReady());
        await new Promise((r) => setTimeout(r, 250));
      }
      process.stderr.write(`  steady window: at most ${steadyMaxNotReady} live nodes not Ready at once\n`);
    }

    // The victims: the nodes holding the most pods, so the figure covers real work.
    const perNode = new Map<string, number>();
    for (const x of pods.store.list()) {
      const n = (x.spec as { nodeName?: string }).nodeName;
      if (n) perNode.set(n, (perNode.get(n) ?? 0) + 1);
    }
    const dead = new Set([...perNode.entries()].sort((a, b) => b[1] - a[1]).slice(0, DEAD_N).map(([n]) => n));
    const onDead = pods.store.list().filter((x) => dead.has((x.spec as { nodeName?: string }).nodeName ?? '')).length;
    process.stderr.write(`  killing ${DEAD_N} nodes holding ${onDead} pods\n`);
    const t0 = Date.now();
    await Promise.all([...dead].map((n) => fetch(`http://127.0.0.1:${portOf(n)}/nodes/${encodeURIComponent(n)}/stop`, { method: 'POST' }).then((r) => r.text())));
    const elsewhere = (x: KubeObject) => !x.metadata.deletionTimestamp && !dead.has((x.spec as { nodeName?: string }).nodeName ?? '');
    const horizon = (p.upstreamSeconds + 600) * 1000;
    // --trace: where the seconds go after the kill, sampled from the informers every 250 ms.
    const trace = args.includes('--trace')
      ? setInterval(() => {
          const all = pods.store.list();
          const evicted = all.filter((x) => dead.has((x.spec as { nodeName?: string }).nodeName ?? '') && x.metadata.deletionTimestamp).length;
          const gone = onDead - all.filter((x) => dead.has((x.spec as { nodeName?: string }).nodeName ?? '')).length;
          const fresh = all.filter((x) => !x.metadata.deletionTimestamp && !(x.spec as { nodeName?: string }).nodeName).length;
          const bound = all.filter((x) => elsewhere(x) && (x.spec as { nodeName?: string }).nodeName).length - (PODS_N - onDead);
          const run = all.filter((x) => elsewhere(x) && running(x)).length - (PODS_N - onDead);
          const notReady = [...dead].filter((n) => ready(nodes.store.get(n) ?? ({ metadata: {} } as KubeObject)) === 'Unknown').length;
          process.stderr.write(`  t+${fmt((Date.now() - t0) / 1000, 2)} s  NotReady ${notReady}/${DEAD_N}  evicting ${evicted}  removed ${gone}  pending ${fresh}  bound ${bound}  Running ${run}\n`);
        }, 250)
      : undefined;
    const tNotReady = await waitFor('the dead nodes NotReady', () => [...dead].every((n) => ready(nodes.store.get(n) ?? ({ metadata: {} } as KubeObject)) === 'Unknown'), horizon);
    const complete = (ok: (x: KubeObject) => boolean): boolean => {
      const have = new Map<string, number>();
      for (const x of pods.store.list()) {
        if (!elsewhere(x) || !ok(x)) continue;
        const app = x.metadata.labels?.app ?? '';
        have.set(app, (have.get(app) ?? 0) + 1);
      }
      return [...want].every(([app, n]) => (have.get(app) ?? 0) >= n);
    };
    const tBound = await waitFor('every replacement bound', () => complete((x) => !!(x.spec as { nodeName?: string }).nodeName), horizon);
    const tRunning = await waitFor('every replacement Running', () => complete(running), horizon);
    clearInterval(trace);
    return { profile: p, notReadyS: (tNotReady - t0) / 1000, boundS: (tBound - t0) / 1000, runningS: (tRunning - t0) / 1000, replaced: onDead, scaleCreatePerS, scaleRunningPerS, steadyMaxNotReady };
  } finally {
    await nodes.stop();
    await pods.stop();
    client.close();
    stopSampler();
    await Promise.all(hollows.map((h) => stop(h.child)));
    for (const c of control.reverse()) await stop(c.child);
    await rm(dir, { recursive: true, force: true });
    dirs.delete(dir);
  }
}

const rows: Row[] = [];
for (const [i, name] of PROFILES.entries()) rows.push(await runProfile(PROFILE[name]!, i === 0 && SCALE_N > 0));
const body = [
  `Hollow nodes: ${NODES_N} in ${HOLLOW_PROCS === 1 ? 'one `k8ts hollow-nodes` process' : `${HOLLOW_PROCS} \`k8ts hollow-nodes\` processes`}; ${SPLIT ? '`k8ts apiserver` (SQLite), `k8ts controller-manager` (--kube-api-qps 5000) and `k8ts scheduler` each in a process of its own' : '`k8ts server --disable-agent` (API server on SQLite, controller manager at --kube-api-qps 5000, scheduler) in another'};`,
  `${PODS_N} pods in Deployments of ${PER_DEPLOYMENT} (the first is scaled 0 → ${SCALE_N});`,
  `then the ${DEAD_N} nodes holding the most pods stop at once (no Lease, no status, as a dead kubelet). Times from that moment, seen`,
  'through informers in the bench process. Ratio: ours ÷ upstream with its defaults (grace 50 s + toleration 300 s = 350 s, before',
  `the eviction rate limit adds more). Run: \`npm run build && node dist/bench/failover/main.js${SPLIT ? ' --split' : ''}${SWITCH_AFTER_SETUP ? ` --switch-after-setup --steady ${STEADY_S}` : ''}\`.`,
  '',
  '```',
  table([
    ['profile', 'settings', 'pods moved', '→ NotReady s', '→ all bound s', '→ all Running s', 'Running ÷ upstream 350 s'],
    ...rows.map((r) => [r.profile.name, r.profile.describe, String(r.replaced), fmt(r.notReadyS, 1), fmt(r.boundS, 1), fmt(r.runningS, 1), `${fmt(r.runningS / r.profile.upstreamSeconds, 3)}×`]),
  ]),
  '```',
  '',
  ...(SWITCH_AFTER_SETUP
    ? [
        `--switch-after-setup: the fast profile's cluster was set up under upstream's default heartbeat (Leases of 40 s renewed every 10 s, grace 50 s), then switched before the kill: every Lease to 4 s renewed every second (the hollow control API's PUT /leases) and the controller manager restarted with the fast flags; the 0 s tolerations were the API server's from the start. Then ${STEADY_S} s of the fast profile at rest: ${rows.filter((r) => r.steadyMaxNotReady !== undefined).map((r) => `at most ${r.steadyMaxNotReady} live nodes not Ready at once`).join('') || '-'}.`,
        '',
      ]
    : []),
  ...rows.filter((r) => r.scaleCreatePerS).map((r) => `ReplicaSet scale 0 → ${SCALE_N}: ${fmt(r.scaleCreatePerS!, 0)} pods/s created, ${fmt(r.scaleRunningPerS!, 0)} pods/s Running (on ${NODES_N} hollow nodes, ${r.profile.name}).`),
  '',
  `Target (fast profile): ≤ 10 s from the death to every replacement Running: ${rows.filter((r) => r.profile === PROFILE.fast).map((r) => (r.runningS <= 10 ? `met (${fmt(r.runningS, 1)} s)` : `NOT met (${fmt(r.runningS, 1)} s)`)).join('') || 'not run'}.`,
].join('\n');
console.log(body);
if (!args.includes('--no-write')) await writeSection(join(repo, 'docs', 'benchmarks.md'), 'Failover', `Measured ${new Date().toISOString().slice(0, 10)} on the project machine (2 cores, shared).\n\n${body}`);
