// What holds an API server's memory after many pod creates (issue #3's "RSS
// after 13,000 pods"): starts `k8ts apiserver` on SQLite with bench/lib/mem-probe.js,
// creates --pods pods at 64 clients, then lists them all at --lists clients at
// once (as bench:apiserver's "list 10,000 pods" row), and after each phase
// prints RSS and the V8 heap before and after a forced full GC. Peak RSS is
// sampled every 100 ms. Heap used after GC is what is live; RSS above it is
// memory V8 or malloc keeps from the phase's peak.
// Run: npm run build && node dist/bench/apiserver/memory.js [--pods 10000] [--lists 64] [--repo DIR]
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { spawnApiServer } from '../lib/apiserver-process.js';
import { fmt, runConcurrent, table } from '../lib/stats.js';
import { option as arg } from '../lib/args.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(arg('--repo', join(here, '..', '..', '..')));
const pods = Number(arg('--pods', '10000'));
const lists = Number(arg('--lists', '64'));
const probe = join(here, '..', 'lib', 'mem-probe.js');

const MB = (n: number): string => fmt(n / 1048576, 1);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-mem-'));
  const probeOut = join(dir, 'probe.jsonl');
  process.env.K8TS_MEM_PROBE_OUT = probeOut;
  const { url, child } = await spawnApiServer(repo, ['--data-dir', dir, '--port', '0', '--storage', 'sqlite'], ['--expose-gc', '--import', probe]);
  const cfg = loadKubeconfig(join(dir, 'kubeconfig.yaml'));
  const agent = new https.Agent({ keepAlive: true, maxSockets: 128, ca: cfg.caData, cert: cfg.certData, key: cfg.keyData });
  const request = (method: string, path: string, body?: string): Promise<number> =>
    new Promise((res, rej) => {
      const u = new URL(path, url);
      const req = https.request({ agent, host: u.hostname, port: u.port, path: u.pathname, method, headers: body ? { 'Content-Type': 'application/json' } : {} }, (r) => {
        r.resume();
        r.on('end', () => res(r.statusCode ?? 0));
      });
      req.on('error', rej);
      req.end(body);
    });
  const must = async (p: Promise<number>, want: number) => {
    const s = await p;
    if (s !== want) throw new Error(`expected ${want}, got ${s}`);
  };
  let peak = 0;
  const rss = async () => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024;
  const sampler = setInterval(() => void rss().then((r) => (peak = Math.max(peak, r)), () => undefined), 100);
  let probes = 0;
  const snapshot = async (): Promise<{ before: Record<string, number>; after: Record<string, number> }> => {
    child.kill('SIGWINCH');
    for (;;) {
      const lines = (await readFile(probeOut, 'utf8').catch(() => '')).split('\n').filter(Boolean);
      if (lines.length > probes) return JSON.parse(lines[probes++]!);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const rows = [['after', 'peak RSS', 'RSS', 'heap total', 'heap used', 'RSS after GC', 'heap total after GC', 'heap used after GC', 'external after GC', 'RSS 3 s after GC']];
  const record = async (phase: string) => {
    const s = await snapshot();
    // V8 unmaps freed pages from a background thread: RSS read at once still counts them.
    await new Promise((r) => setTimeout(r, 3000));
    const later = await rss();
    rows.push([phase, MB(peak), MB(s.before.rss!), MB(s.before.heapTotal!), MB(s.before.heapUsed!), MB(s.after.rss!), MB(s.after.heapTotal!), MB(s.after.heapUsed!), MB(s.after.external!), MB(later)]);
    console.error(rows.at(-1)!.join('  '));
    peak = 0;
  };
  const load = async () => (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  const loads = [await load()];
  try {
    await record('start');
    await must(request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'm' } })), 201);
    await must(request('POST', '/api/v1/namespaces/m/serviceaccounts', JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } })), 201);
    const pod = (i: number) => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'm', labels: { app: 'bench' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } });
    await runConcurrent(pods, 64, (i) => must(request('POST', '/api/v1/namespaces/m/pods', pod(i)), 201));
    loads.push(await load());
    await record(`${pods.toLocaleString('en-US')} creates (64 clients)`);
    await runConcurrent(lists, lists, () => must(request('GET', '/api/v1/namespaces/m/pods'), 200));
    loads.push(await load());
    await record(`${lists} lists of them at once`);
    await runConcurrent(lists, lists, () => must(request('GET', '/api/v1/namespaces/m/pods'), 200));
    await record(`${lists} more lists`);
  } finally {
    clearInterval(sampler);
    agent.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`repo ${repo}; MB; load average ${loads.join(' → ')}`);
  console.log(table(rows));
}

await main();
