// Hollow-node figures: RSS per idle hollow node at 1,000 and 5,000 nodes
// (one process, upstream's 10 s Lease renewals), the API load they cause,
// and the API server's p99 GET latency under that load. The API server and
// the hollow nodes each run in their own process, on this 2-core machine.
// Run: npm run build && node dist/bench/hollow/main.js [--sizes 1000,5000] [--window 30] [--lease-seconds 40]
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { RestClient } from '../../src/client/rest.js';
import type { KubeObject } from '../../src/api/types.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { fmt, summarize, table, writeSection } from '../lib/stats.js';
import { option as opt } from '../lib/args.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const args = process.argv.slice(2);
const SIZES = opt('--sizes', '1000,5000').split(',').map(Number);
const WINDOW_S = Number(opt('--window', '30'));
/** nodeLeaseDurationSeconds of the fleet; renewals every quarter of it (4: the failover bench's fast profile, 1 s). */
const LEASE_S = Number(opt('--lease-seconds', '40'));
const RENEW_S = LEASE_S / 4;
/** After start, wait this long so registration bursts are over and only renewals remain. */
const SETTLE_S = Number(opt('--settle', '25'));
/** V8 flags for the hollow process (e.g. --max-semi-space-size=1: measured no better here). */
const V8_FLAGS = opt('--v8-flags', '').split(' ').filter(Boolean);
/** Write a heap snapshot of the hollow process after the window into this directory. */
const SNAPSHOT_DIR = opt('--snapshot-dir', '');
/** Node flags for the API server process (e.g. --cpu-prof --cpu-prof-dir DIR to profile it under this load). */
const API_NODE_FLAGS = opt('--api-node-flags', '').split(' ').filter(Boolean);
const NODES = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true };

type Lease = KubeObject & { spec?: { renewTime?: string; leaseDurationSeconds?: number } };

/**
 * The hollow nodes' Leases as the node lifecycle controller would judge them
 * now: lapsed = renewTime older than leaseDurationSeconds (or none at all),
 * and the oldest renewal's age.
 */
async function leaseAges(client: RestClient, count: number): Promise<{ lapsed: number; missing: number; oldestS: number }> {
  const now = Date.now();
  const leases = (await client.list<Lease>(LEASES, 'kube-node-lease')).items.filter((l) => (l.metadata.name ?? '').startsWith('hollow-node-'));
  let lapsed = 0;
  let oldestS = 0;
  for (const l of leases) {
    const age = (now - Date.parse(l.spec?.renewTime ?? '')) / 1000;
    if (!(age <= (l.spec?.leaseDurationSeconds ?? LEASE_S))) lapsed++;
    if (age > oldestS || Number.isNaN(age)) oldestS = Number.isNaN(age) ? Infinity : age;
  }
  return { lapsed: lapsed + (count - leases.length), missing: count - leases.length, oldestS };
}

function startApi(dir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...API_NODE_FLAGS, 'bin/k8ts.js', 'apiserver', '--data-dir', dir, '--port', '0'], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, K8TS_LOG_LEVEL: 'warn' } });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (/listening on/.test(out)) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`apiserver exited ${code}: ${out}`)));
  });
}

interface Hollow {
  child: ChildProcess;
  next(): Promise<Record<string, number | string>>;
  send(line: string): void;
}

function startHollow(kubeconfig: string, count: number, rootDir: string): Hollow {
  const child = spawn(process.execPath, ['--expose-gc', ...V8_FLAGS, 'dist/bench/hollow/hollow-process.js', kubeconfig, String(count), rootDir, String(LEASE_S)], {
    cwd: repo,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, K8TS_LOG_LEVEL: 'error' },
  });
  const lines = createInterface({ input: child.stdout! });
  const queue: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  lines.on('line', (l) => (waiters.length ? waiters.shift()!(l) : queue.push(l)));
  return {
    child,
    next: () => new Promise((resolve) => {
      const take = (l: string): void => resolve(JSON.parse(l) as Record<string, number | string>);
      if (queue.length) take(queue.shift()!);
      else waiters.push(take);
    }),
    send: (line) => child.stdin!.write(line + '\n'),
  };
}

/** CPU time (user + system) of a process in seconds. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / 100;
}

interface Row {
  nodes: number;
  startS: number;
  rssPerNodeKB: number;
  /** RSS after start minus before, bytes. */
  rssTotal: number;
  anonPerNodeKB: number;
  anonTotal: number;
  heapPerNodeKB: number;
  reqPerS: number;
  leasePutPerS: number;
  nodeGetPerS: number;
  p50: number;
  p99: number;
  gets: number;
  leaseFailures: number;
  apiCpu: number;
  hollowCpu: number;
  /** Leases lapsed (renewTime older than leaseDurationSeconds, or no Lease) at the end of the window. */
  lapsed: number;
  /** Age of the oldest renewTime at the end of the window, seconds. */
  oldestLeaseS: number;
  /** Lapsed Leases seen by any of the checks during the window (every 5 s). */
  lapsedMax: number;
}

async function measure(count: number): Promise<Row> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-hollow-bench-'));
  const api = await startApi(join(dir, 'api'));
  const kubeconfig = join(dir, 'api', 'kubeconfig.yaml');
  const hollow = startHollow(kubeconfig, count, join(dir, 'kubelet'));
  try {
    const base = await hollow.next();
    process.stdout.write(`${count} nodes: starting…\n`);
    const t0start = performance.now();
    const started = await hollow.next();
    process.stdout.write(`${count} nodes: kubelets started in ${started.seconds}s (${started.failed} failed); waiting for every Node object\n`);
    const client = new RestClient(loadKubeconfig(kubeconfig), { qps: 0 });
    // A kubelet registers after it starts: the figure is the time until every Node exists.
    for (;;) {
      const n = (await client.list(NODES, undefined)).items.length;
      if (n >= count) break;
      process.stdout.write(`  ${n}/${count} nodes registered\n`);
      await new Promise((r) => setTimeout(r, 2000));
    }
    const registeredS = (performance.now() - t0start) / 1000;
    process.stdout.write(`${count} nodes: registered in ${registeredS.toFixed(1)}s; settling ${SETTLE_S}s\n`);
    await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
    hollow.send('measure');
    const m0 = await hollow.next();
    // GETs of random nodes, a few in flight, for the window; the hollow nodes renew meanwhile.
    const latencies: number[] = [];
    const end = Date.now() + WINDOW_S * 1000;
    const worker = async (): Promise<void> => {
      while (Date.now() < end) {
        const t = performance.now();
        await client.get(NODES, undefined, `hollow-node-${Math.floor(Math.random() * count)}`);
        latencies.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    // The Leases, every 5 s through the window: a Lease older than its duration makes a real cluster's Node NotReady.
    let lapsedMax = 0;
    const checker = async (): Promise<void> => {
      while (Date.now() < end) {
        lapsedMax = Math.max(lapsedMax, (await leaseAges(client, count)).lapsed);
        await new Promise((r) => setTimeout(r, Math.min(5000, Math.max(0, end - Date.now()))));
      }
    };
    const t0 = Date.now();
    const cpu0 = [cpuSeconds(api.pid!), cpuSeconds(hollow.child.pid!)];
    await Promise.all([worker(), worker(), checker()]);
    const cpu1 = [cpuSeconds(api.pid!), cpuSeconds(hollow.child.pid!)];
    hollow.send('measure');
    const m1 = await hollow.next();
    const seconds = (Date.now() - t0) / 1000;
    const leasesAtEnd = await leaseAges(client, count);
    process.stdout.write(`${count} nodes: Leases at the end of the window: ${leasesAtEnd.lapsed} lapsed (${leasesAtEnd.missing} missing), oldest renewal ${leasesAtEnd.oldestS.toFixed(1)}s ago; at most ${lapsedMax} lapsed during it\n`);
    process.stdout.write(`${count} nodes: memory before ${JSON.stringify(base)}, after ${JSON.stringify(m1)}\n`);
    if (SNAPSHOT_DIR) {
      hollow.send(`snapshot ${join(SNAPSHOT_DIR, `hollow-${count}.heapsnapshot`)}`);
      process.stdout.write(`${count} nodes: ${JSON.stringify(await hollow.next())}\n`);
    }
    client.close();
    const s = summarize(latencies);
    return {
      nodes: count,
      startS: registeredS,
      rssPerNodeKB: (Number(m1.rss) - Number(base.rss)) / count / 1024,
      rssTotal: Number(m1.rss) - Number(base.rss),
      anonPerNodeKB: (Number(m1.anon) - Number(base.anon)) / count / 1024,
      anonTotal: Number(m1.anon) - Number(base.anon),
      heapPerNodeKB: (Number(m1.heap) - Number(base.heap)) / count / 1024,
      reqPerS: (Number(m1.requests) - Number(m0.requests)) / seconds,
      leasePutPerS: (Number(m1.leasePuts) - Number(m0.leasePuts)) / seconds,
      nodeGetPerS: (Number(m1.nodeGets) - Number(m0.nodeGets)) / seconds,
      p50: s.p50,
      p99: s.p99,
      gets: latencies.length,
      leaseFailures: Number(m1.leaseFailures ?? 0) - Number(m0.leaseFailures ?? 0),
      apiCpu: (cpu1[0]! - cpu0[0]!) / seconds,
      hollowCpu: (cpu1[1]! - cpu0[1]!) / seconds,
      lapsed: leasesAtEnd.lapsed,
      oldestLeaseS: leasesAtEnd.oldestS,
      lapsedMax: Math.max(lapsedMax, leasesAtEnd.lapsed),
    };
  } finally {
    hollow.send('stop');
    await new Promise((r) => hollow.child.once('exit', r));
    api.kill('SIGTERM');
    await new Promise((r) => api.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
}

const loadAtStart = loadavg();
const rows: Row[] = [];
for (const n of SIZES) rows.push(await measure(n));
const out = table([
  ['hollow nodes', 'start (s)', 'RSS/node (KB)', 'anon RSS/node (KB)', 'heap/node (KB)', 'API req/s', 'Lease PUT/s (asked)', 'Node GET/s', 'GET p50 (ms)', 'GET p99 (ms)', 'GETs', 'API CPU', 'hollow CPU', 'CPU ms/renewal API, hollow', 'oldest Lease (s)', 'lapsed Leases'],
  ...rows.map((r) => [String(r.nodes), fmt(r.startS, 1), fmt(r.rssPerNodeKB, 1), fmt(r.anonPerNodeKB, 1), fmt(r.heapPerNodeKB, 1), fmt(r.reqPerS, 0), `${fmt(r.leasePutPerS, 0)} (${fmt(r.nodes / RENEW_S, 0)})${r.leaseFailures ? `, ${r.leaseFailures} failed` : ''}`, fmt(r.nodeGetPerS, 0), fmt(r.p50), fmt(r.p99), String(r.gets), `${fmt(r.apiCpu * 100, 0)}%`, `${fmt(r.hollowCpu * 100, 0)}%`, `${fmt((r.apiCpu * 1000) / r.leasePutPerS, 3)}, ${fmt((r.hollowCpu * 1000) / r.leasePutPerS, 3)}`, fmt(r.oldestLeaseS, 1), `${r.lapsed} (max ${r.lapsedMax})`]),
]);
// The per-node figure above carries the process's fixed costs (connections, pod watch, young generation) divided by N;
// between two sizes those cancel, leaving what one more idle node costs.
const marginal = rows.length >= 2 ? ((rows.at(-1)!.rssTotal - rows[0]!.rssTotal) / (rows.at(-1)!.nodes - rows[0]!.nodes)) / 1024 : undefined;
const marginalAnon = rows.length >= 2 ? ((rows.at(-1)!.anonTotal - rows[0]!.anonTotal) / (rows.at(-1)!.nodes - rows[0]!.nodes)) / 1024 : 0;
const marginalLine =
  marginal === undefined
    ? ''
    : `Per additional idle node between ${rows[0]!.nodes} and ${rows.at(-1)!.nodes} nodes: RSS ${fmt(marginal, 1)} KB (target 20 KB, ratio ${fmt(marginal / 20, 2)}), anonymous RSS ${fmt(marginalAnon, 1)} KB (ratio ${fmt(marginalAnon / 20, 2)}).`;
console.log(out);
if (marginalLine) console.log(marginalLine);
const body = [
  'N hollow kubelets (src/hollow: the real kubelet over a shared fake runtime, client, pod watch, event recorder and ticker) in one process,',
  `idle after registration, renewing Leases every ${fmt(RENEW_S, RENEW_S < 10 ? 2 : 0)} s; the API server (SQLite) in another process; both on the same 2-core machine.`,
  `Hollow process flags: ${V8_FLAGS.join(' ') || 'none'}. RSS/node = (RSS after start - RSS before, both after a GC) / N; anon RSS: the same with RssAnon (private memory, without the node binary's pages). API load counted at the hollow nodes' client over ${WINDOW_S} s;`,
  'latency = GET of a random Node from a separate client, 2 in flight, during the same window; CPU = share of one core over the window.',
  `start = hollow process start to every Node object registered. Lease PUT/s: renewals made (asked: one per node per ${fmt(RENEW_S, 2)} s); CPU ms/renewal: each process's CPU over the window ÷ renewals (all of its work, idle nodes doing little else); Node GET/s: status ticks that read their Node with a GET (idle nodes read it from the shared Node watch).`,
  `oldest Lease = age of the oldest renewTime at the end of the window; lapsed Leases = renewTime older than leaseDurationSeconds (${LEASE_S} s) or no Lease, at the end (max: most seen by a check every 5 s during the window).`,
  'Targets: ≤ 20 KB RSS/node, p99 ≤ 100 ms at 5,000 nodes.',
  `Load average at the start: ${loadAtStart.map((l) => l.toFixed(1)).join(' ')}, at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on the machine shows in the latencies, not in RSS).`,
  '',
  '```',
  out,
  '```',
  ...(marginalLine ? ['', marginalLine] : []),
].join('\n');
if (!args.includes('--no-write')) await writeSection(join(repo, 'docs', 'benchmarks.md'), 'Hollow nodes', body);
