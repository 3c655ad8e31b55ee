// API server figures (issue: bench/apiserver): pods created/s, p50/p99 of
// create, get, list and watch delivery at 1 and 64 clients, on SQLite and
// etcd, each against the storage layer's own speed; idle RSS of the server.
// Run: npm run build && npm run bench:apiserver [-- --storage sqlite|etcd|both] [--quick]
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/storage/open.js';
import { spawnApiServer } from '../lib/apiserver-process.js';
import { fmt, runConcurrent, summarize, table, writeSection } from '../lib/stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const storageArg = args[args.indexOf('--storage') + 1] ?? 'both';
const storages = args.includes('--storage') ? (storageArg === 'both' ? ['sqlite', 'etcd'] : [storageArg]) : ['sqlite', 'etcd'];

// The server speaks HTTPS with client certificates, as in production: the
// load uses the admin kubeconfig it writes, over keep-alive TLS connections.
let agent: https.Agent;

function tlsOptions(): https.RequestOptions {
  return { agent };
}

function request(base: string, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, base);
    const req = https.request({ ...tlsOptions(), host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: body ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function podJson(ns: string, name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: 'bench' } },
    spec: { containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
  });
}

async function must(p: Promise<{ status: number; body: string }>, want: number): Promise<string> {
  const r = await p;
  if (r.status !== want) throw new Error(`expected ${want}, got ${r.status}: ${r.body.slice(0, 300)}`);
  return r.body;
}

/** A namespace ready for pods: the ServiceAccount admission wants its default account (normally made by the controller manager). */
async function makeNamespace(url: string, ns: string): Promise<void> {
  await must(request(url, 'POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })), 201);
  await must(request(url, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts`, JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } })), 201);
}

async function startServer(storage: string, endpoints: string[]): Promise<{ url: string; child: ChildProcess; dir: string; readyMs: number }> {
  const t0 = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-'));
  const flags = ['--data-dir', dir, '--port', '0', '--storage', storage];
  if (storage === 'etcd') flags.push('--etcd-endpoints', endpoints.join(','), '--etcd-prefix', `/bench-${Date.now()}`);
  const { url, child } = await spawnApiServer(repo, flags);
  const readyMs = performance.now() - t0;
  const cfg = loadKubeconfig(join(dir, 'kubeconfig.yaml'));
  agent = new https.Agent({ keepAlive: true, maxSockets: 128, ca: cfg.caData, cert: cfg.certData, key: cfg.keyData });
  return { url, child, dir, readyMs };
}

async function rssMB(pid: number): Promise<number> {
  const s = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(s);
  return m ? Number(m[1]) / 1024 : NaN;
}

async function storageCreateRate(storage: string, endpoints: string[], n: number, concurrency: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-store-'));
  const store = storage === 'etcd' ? await openStore({ kind: 'etcd', endpoints, prefix: `/bench-store-${Date.now()}` }) : await openStore({ kind: 'sqlite', path: join(dir, 'state.db') });
  const value = podJson('ns', 'x');
  const r = await runConcurrent(n, concurrency, async (i) => {
    await store.create(`/registry/pods/ns/p${i}`, value);
  });
  await store.close();
  await rm(dir, { recursive: true, force: true });
  return n / r.seconds;
}

async function watchDelivery(url: string, ns: string, watchers: number, n: number): Promise<number[]> {
  await makeNamespace(url, ns);
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  let ready = 0;
  let expected = watchers * n;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const reqs: http.ClientRequest[] = [];
  await new Promise<void>((resolveReady) => {
    for (let w = 0; w < watchers; w++) {
      const u = new URL(`/api/v1/namespaces/${ns}/pods?watch=true&resourceVersion=0`, url);
      const req = https.get({ ...tlsOptions(), agent: new https.Agent({ ca: agent.options.ca, cert: agent.options.cert, key: agent.options.key }), host: u.hostname, port: u.port, path: u.pathname + u.search }, (res) => {
        let buf = '';
        res.setEncoding('utf8');
        if (++ready === watchers) resolveReady();
        res.on('data', (d: string) => {
          buf += d;
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            const ev = JSON.parse(line);
            const t = sent.get(ev.object.metadata.name);
            if (ev.type === 'ADDED' && t !== undefined) {
              latencies.push(performance.now() - t);
              if (--expected === 0) done();
            }
          }
        });
      });
      reqs.push(req);
    }
  });
  for (let i = 0; i < n; i++) {
    const name = `w${i}`;
    sent.set(name, performance.now());
    await must(request(url, 'POST', `/api/v1/namespaces/${ns}/pods`, podJson(ns, name)), 201);
    // Spread writes out a little so we measure delivery, not queueing behind our own burst.
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, 5));
  }
  await finished;
  for (const r of reqs) r.destroy();
  return latencies;
}

interface Row {
  storage: string;
  figures: string[][];
}

async function benchOne(storage: string, endpoints: string[]): Promise<Row> {
  const { url, child, dir, readyMs } = await startServer(storage, endpoints);
  const rows: string[][] = [['measure', 'clients', 'ops/s', 'p50 ms', 'p99 ms', 'storage ops/s', 'storage ÷ API']];
  try {
    await new Promise((r) => setTimeout(r, 1500));
    const idle = await rssMB(child.pid!);
    const N1 = quick ? 500 : 2000;
    const N64 = quick ? 2000 : 10000;
    for (const ns of ['c1', 'c64', 'list1k', 'list10k']) await makeNamespace(url, ns);
    const ref1 = await storageCreateRate(storage, endpoints, N1, 1);
    const ref64 = await storageCreateRate(storage, endpoints, N64, 64);
    const c1 = await runConcurrent(N1, 1, (i) => must(request(url, 'POST', '/api/v1/namespaces/c1/pods', podJson('c1', `p${i}`)), 201).then(() => undefined));
    let s = summarize(c1.latencies);
    rows.push(['create pod', '1', fmt(N1 / c1.seconds), fmt(s.p50), fmt(s.p99), fmt(ref1), fmt(ref1 / (N1 / c1.seconds))]);
    const c64 = await runConcurrent(N64, 64, (i) => must(request(url, 'POST', '/api/v1/namespaces/c64/pods', podJson('c64', `p${i}`)), 201).then(() => undefined));
    s = summarize(c64.latencies);
    rows.push(['create pod', '64', fmt(N64 / c64.seconds), fmt(s.p50), fmt(s.p99), fmt(ref64), fmt(ref64 / (N64 / c64.seconds))]);
    for (const conc of [1, 64]) {
      const n = conc === 1 ? N1 : N64;
      const g = await runConcurrent(n, conc, (i) => must(request(url, 'GET', `/api/v1/namespaces/c64/pods/p${i % N64}`), 200).then(() => undefined));
      s = summarize(g.latencies);
      rows.push(['get pod', String(conc), fmt(n / g.seconds), fmt(s.p50), fmt(s.p99), '', '']);
    }
    // Lists of 1,000 and 10,000 pods.
    await runConcurrent(1000, 64, (i) => must(request(url, 'POST', '/api/v1/namespaces/list1k/pods', podJson('list1k', `p${i}`)), 201).then(() => undefined));
    for (const [ns, count, path] of [['list1k', 1000, '/api/v1/namespaces/list1k/pods'], ['c64', N64, '/api/v1/namespaces/c64/pods']] as const) {
      for (const conc of [1, 64]) {
        const reps = conc === 1 ? (count > 5000 ? 10 : 30) : count > 5000 ? 64 : 128;
        const l = await runConcurrent(reps, conc, () => must(request(url, 'GET', path), 200).then(() => undefined));
        s = summarize(l.latencies);
        rows.push([`list ${count.toLocaleString('en-US')} pods (${ns})`, String(conc), fmt(reps / l.seconds), fmt(s.p50), fmt(s.p99), '', '']);
      }
    }
    for (const watchers of [1, 64]) {
      const lat = await watchDelivery(url, `watch${watchers}`, watchers, quick ? 100 : 300);
      s = summarize(lat);
      rows.push(['watch delivery (create→event)', String(watchers), '', fmt(s.p50), fmt(s.p99), '', '']);
    }
    rows.push(['start-up: spawn to "ready" line (ms)', '', fmt(readyMs, 0), '', '', '', '']);
    rows.push(['idle RSS (MB) after start', '', fmt(idle, 1), '', '', '', '']);
    rows.push([`RSS (MB) after ${(N1 + N64 + 1000).toLocaleString('en-US')} pods`, '', fmt(await rssMB(child.pid!), 1), '', '', '', '']);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
  return { storage, figures: rows };
}

async function main(): Promise<void> {
  const results: Row[] = [];
  for (const storage of storages) {
    let endpoints: string[] = [];
    let stopEtcd: (() => Promise<void>) | undefined;
    if (storage === 'etcd') {
      const { startEtcd, etcdAvailable } = await import('../../test/helpers/etcd.js');
      if (!(await etcdAvailable())) {
        console.log('etcd is not installed (apt-get install etcd-server): skipping the etcd figures');
        continue;
      }
      const e = await startEtcd();
      endpoints = e.endpoints;
      stopEtcd = e.stop;
    }
    console.log(`\n== ${storage}`);
    try {
      const r = await benchOne(storage, endpoints);
      console.log(table(r.figures));
      results.push(r);
    } finally {
      await stopEtcd?.();
    }
  }
  agent.destroy();
  if (!quick) {
    const when = new Date().toISOString().slice(0, 10);
    const body = [
      `Measured ${when} with \`npm run bench:apiserver\` (server in its own process, load from a second process over loopback HTTP/1.1 keep-alive; 2 shared cores run both).`,
      'Targets: p99 create ≤ 25 ms at 64 clients; ≥ 3,000 creates/s on SQLite; API overhead (storage ÷ API) ≤ 3×; idle RSS ≤ 80 MB.',
      '"storage ops/s" is the storage layer alone creating the same pod JSON in-process at the same concurrency; "storage ÷ API" is the overhead ratio.',
      ...results.map((r) => `\n### ${r.storage}\n\n\`\`\`\n${table(r.figures)}\n\`\`\``),
    ].join('\n');
    await writeSection(join(repo, 'docs', 'benchmarks.md'), 'API server', body);
    console.log('\nwritten to docs/benchmarks.md');
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
