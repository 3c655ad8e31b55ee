// The hollow nodes under measurement, in a process of their own so its RSS
// is theirs: reports its memory before and after starting N nodes (after a
// GC, idle) and counts the requests the shared client sends.
// Argv: KUBECONFIG COUNT ROOTDIR [LEASE_SECONDS]. Lines on stdout are JSON.
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { HollowCluster } from '../../src/hollow/harness.js';

const [kubeconfig, countArg, rootDir, leaseArg] = process.argv.slice(2);
const count = Number(countArg);
const gc = (globalThis as { gc?: () => void }).gc;
const say = (o: Record<string, unknown>): void => void process.stdout.write(JSON.stringify(o) + '\n');
const memory = (): Record<string, number> => {
  gc?.();
  const m = process.memoryUsage();
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((x) => [x.space_name, Math.round(x.space_size / 1024)]));
  // Private (anonymous) resident memory: RSS less the pages of the node binary and libraries, which
  // grow as more of their code runs (TLS, HTTP) whatever the node count.
  const anon = Number(/RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
  return { anon, spaces: spaces as unknown as number, rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
};

const cluster = new HollowCluster({ clientConfig: loadKubeconfig(kubeconfig!), count, rootDir: rootDir!, leaseDurationSeconds: Number(leaseArg ?? 40) });
let requests = 0;
let leasePuts = 0;
let nodeGets = 0;
const transport = cluster.client.transport;
const send = transport.send.bind(transport);
transport.send = (...a: Parameters<typeof send>) => {
  requests++;
  if (a[0] === 'PUT' && a[1].includes('/leases/')) leasePuts++;
  else if (a[0] === 'GET' && /\/api\/v1\/nodes\/[^/?]+(\?|$)/.test(a[1])) nodeGets++;
  return send(...a);
};
await new Promise((r) => setTimeout(r, 500));
say({ phase: 'baseline', ...memory() });
const t0 = Date.now();
await cluster.start();
say({ phase: 'started', seconds: (Date.now() - t0) / 1000, failed: cluster.list().filter((n) => n.state !== 'running').length });
process.stdin.setEncoding('utf8');
process.stdin.on('data', (line: string) => {
  // Lease renewals are counted by the Lease worker, whose client is its own.
  if (line.startsWith('measure')) void (cluster.leases?.currentStats() ?? Promise.resolve(undefined)).then((l) => say({ phase: 'measure', requests, leasePuts: l?.renewals ?? leasePuts, leaseFailures: l?.failures ?? 0, nodeGets, ...memory() }));
  if (line.startsWith('snapshot ')) say({ phase: 'snapshot', file: writeHeapSnapshot(line.slice(9).trim()) });
  if (line.startsWith('stop')) void cluster.close().then(() => process.exit(0));
});
