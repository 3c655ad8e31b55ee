// The cost of Service IP and node port allocation: Services created/s (and
// create latency) against ConfigMaps of the same size created the same way,
// on one API server over SQLite. Each Service create takes a cluster IP (and
// a NodePort Service a node port too) by compare-and-swap on a shared
// RangeAllocation key; a ConfigMap create is the plain store write.
// Run: npm run build && node dist/bench/services/main.js [--quick]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/storage/open.js';
import { startApiServer } from '../../src/apiserver/server.js';
import { RestClient } from '../../src/client/rest.js';
import { fmt, runConcurrent, summarize, table, writeSection } from '../lib/stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const quick = process.argv.includes('--quick');
const N = quick ? 300 : 3000;
const CONCURRENCY = 16;

const SVC = { group: '', version: 'v1', resource: 'services', namespaced: true };
const CM = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
const NS = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-svc-'));
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'state.db') });
  // A /16 holds every Service the run makes.
  const api = await startApiServer({ store, port: 0, host: '127.0.0.1', serviceClusterIPRange: '10.0.0.0/16' });
  const client = new RestClient({ server: api.url, namespace: 'default' }, { component: 'bench-services', qps: 100_000, burst: 100_000 });
  for (const ns of ['warm', 'svc', 'np', 'cm']) await client.create(NS, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const svc = (ns: string, i: number, type: string) => client.create(SVC, ns, { apiVersion: 'v1', kind: 'Service', metadata: { name: `s-${i}` }, spec: { type, selector: { app: `a${i}` }, ports: [{ name: 'http', port: 80 }] } });
  const cm = (ns: string, i: number) => client.create(CM, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `s-${i}` }, data: { type: 'ClusterIP', selector: `a${i}`, port: '80' } });
  // Warm-up: JIT, connections, the SQLite page cache.
  await runConcurrent(200, CONCURRENCY, async (i) => void (await svc('warm', i, 'ClusterIP')));
  await runConcurrent(200, CONCURRENCY, async (i) => void (await cm('warm', i)));
  const runs: [string, (i: number) => Promise<unknown>][] = [
    ['ConfigMap (reference)', (i) => cm('cm', i)],
    ['Service ClusterIP', (i) => svc('svc', i, 'ClusterIP')],
    // Node ports: only 2,768 exist, so this run makes fewer.
    ['Service NodePort', (i) => svc('np', i, 'NodePort')],
  ];
  const results: { name: string; rate: number; p50: number; p99: number; n: number }[] = [];
  for (const [name, task] of runs) {
    const n = name.includes('NodePort') ? Math.min(N, 2000) : N;
    process.stdout.write(`${name}: ${n} creates, ${CONCURRENCY} in flight... `);
    const r = await runConcurrent(n, CONCURRENCY, async (i) => void (await task(i)));
    const s = summarize(r.latencies);
    results.push({ name, rate: n / r.seconds, p50: s.p50, p99: s.p99, n });
    console.log(`${fmt(n / r.seconds, 0)}/s`);
  }
  const ref = results[0]!.rate;
  const rows = [['kind', 'creates', 'creates/s', 'p50 ms', 'p99 ms', 'ratio to ConfigMap']];
  for (const r of results) rows.push([r.name, String(r.n), fmt(r.rate, 0), fmt(r.p50), fmt(r.p99), fmt(r.rate / ref)]);
  const out = table(rows);
  console.log(out);
  // Every Service got its own address: the bitmap agrees with what was made.
  const free = await api.serviceAllocators.ips.free();
  console.log(`cluster IPs in use: ${65534 - free}`);
  client.close();
  await api.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
  if (!quick) {
    await writeSection(
      join(repo, 'docs', 'benchmarks.md'),
      'Service allocation',
      `\`node dist/bench/services/main.js\`: creates over HTTP (${CONCURRENCY} in flight) on one API server over SQLite, in-process client, cluster IP range a /16. A Service create takes its cluster IP (and a NodePort Service a node port as well) by compare-and-swap on the shared RangeAllocation key before the Service is written; the reference is a ConfigMap create of similar size, the same path without allocation. The gap is the allocation's own compare-and-swap write (a second SQLite transaction per create, serialised on one key) plus the Service's heavier defaulting and validation.\n\n\`\`\`\n${out}\n\`\`\``,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
