// CronJob schedule accuracy: many CronJobs on `*/1 * * * *`, the real clock,
// for a few minutes. The delay of a start is when our watch sees the Job
// (ADDED) minus the scheduled second its name encodes, so it includes the
// controller's wake-up, the create, and the watch delivery. Target from
// issue #15: p99 <= 1 s after the scheduled second.
// API server (SQLite) and controller run in this process, as `k8ts server` runs them.
// Runs once per --workers value (upstream's --concurrent-cron-job-syncs, default 5).
// Run: npm run build && node dist/bench/cronjob/main.js [--cronjobs 100] [--minutes 2] [--workers 5,50] [--quick] [--no-write]
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/storage/open.js';
import { startApiServer } from '../../src/apiserver/server.js';
import { writeKubeconfig } from '../../src/apiserver/kubeconfig.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { RestClient } from '../../src/client/rest.js';
import { InformerFactory } from '../../src/client/informer-factory.js';
import { EventRecorder } from '../../src/client/events/recorder.js';
import { defaultControllerManagerOptions } from '../../src/controllers/options.js';
import { cronJobController } from '../../src/controllers/cronjob/controller.js';
import { CRONJOBS, JOBS } from '../../src/controllers/shared/resources.js';
import type { KubeObject } from '../../src/api/types.js';
import { fmt, percentile, runConcurrent, table, writeSection } from '../lib/stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const arg = (name: string, dflt: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const COUNTS = (args.includes('--cronjobs') ? args[args.indexOf('--cronjobs') + 1]! : quick ? '20' : '20,100').split(',').map(Number);
const MINUTES = arg('--minutes', quick ? 1 : 2);
const TARGET_P99_MS = 1000;
const WORKERS = (args.includes('--workers') ? args[args.indexOf('--workers') + 1]! : '5').split(',').map(Number);
// --trace: time every request the controller's client makes, and print where a due minute's time went.
const TRACE = args.includes('--trace');

interface Traced {
  what: string;
  start: number;
  end: number;
}

/** Records each request of the client: method and the path's resource (and subresource). */
function traceRequests(client: RestClient, into: Traced[]): void {
  const inner = client.request.bind(client);
  client.request = (<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> => {
    const start = Date.now();
    const parts = path.split('?')[0]!.split('/');
    const what = `${method} ${parts.includes('status') ? `${parts[parts.length - 3]}/status` : parts.slice(-2).join('/')}`;
    const p = inner<T>(method, path, body, headers);
    const done = (): void => void into.push({ what: what.replace(/\/[^/ ]*-\d+$|\/tick-\d+/, ''), start, end: Date.now() });
    p.then(done, done);
    return p;
  }) as RestClient['request'];
}

/** Where the first measured minute's time went: requests by kind, from the boundary, until the last Job create ended. */
function traceReport(traced: Traced[], boundary: number, delays: number[]): void {
  const minute = traced.filter((t) => t.start >= boundary && t.start < boundary + 30_000);
  const creates = minute.filter((t) => t.what.startsWith('POST jobs') || t.what === 'POST default/jobs');
  const lastCreate = Math.max(...creates.map((t) => t.end));
  const kinds = new Map<string, { n: number; ms: number[]; firstStart: number; lastEnd: number }>();
  for (const t of minute) {
    const k = kinds.get(t.what) ?? { n: 0, ms: [], firstStart: Infinity, lastEnd: 0 };
    k.n++;
    k.ms.push(t.end - t.start);
    k.firstStart = Math.min(k.firstStart, t.start - boundary);
    k.lastEnd = Math.max(k.lastEnd, t.end - boundary);
    kinds.set(t.what, k);
  }
  console.log(`  trace of the minute at ${new Date(boundary).toISOString()}: last Job create answered at +${lastCreate - boundary} ms; seen p99 ${fmt(percentile([...delays].sort((a, b) => a - b), 99), 0)} ms`);
  for (const [what, k] of kinds) {
    const sorted = k.ms.sort((a, b) => a - b);
    const before = minute.filter((t) => t.what === what && t.start < lastCreate).length;
    console.log(`    ${what.padEnd(36)} n=${String(k.n).padStart(4)} (${before} started before the last create ended)  p50 ${percentile(sorted, 50)} ms  p99 ${percentile(sorted, 99)} ms  first start +${k.firstStart} ms  last end +${k.lastEnd} ms`);
  }
}



interface Result {
  count: number;
  workers: number;
  delays: number[];
  floorMs: number;
  loadBefore: number;
  loadAfter: number;
}

async function run(count: number, workers: number): Promise<Result> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-cronjob-'));
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'state.db') });
  const server = await startApiServer({ store, port: 0, host: '127.0.0.1' });
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  await writeKubeconfig(kubeconfig, { server: server.url });
  const client = new RestClient(loadKubeconfig(kubeconfig), { qps: 1000, burst: 1000, component: 'kube-controller-manager' });
  const traced: Traced[] = [];
  if (TRACE) traceRequests(client, traced);
  const informers = new InformerFactory(client);
  const recorder = new EventRecorder(client, { component: 'cronjob-controller' });
  const options = { ...defaultControllerManagerOptions() };
  options.concurrentSyncs = { ...options.concurrentSyncs, cronjob: workers };
  const controller = await cronJobController.start({ client, informers, recorder: () => recorder, options });
  informers.start();

  const watcher = new RestClient(loadKubeconfig(kubeconfig), { qps: 1000, burst: 1000 });
  const seen: { minute: number; delayMs: number }[] = [];
  const handle = watcher.watch<KubeObject>(JOBS, 'default', {}, ({ type, object: job }) => {
    if (type !== 'ADDED') return;
    const seenAt = Date.now();
    const minute = Number(/-(\d+)$/.exec(job.metadata?.name ?? '')?.[1]);
    if (minute > 0) seen.push({ minute, delayMs: seenAt - minute * 60_000 });
  });
  handle.done.catch((err: unknown) => console.error(`watch ended: ${(err as Error).message}`));

  console.log(`${workers} workers: creating ${count} CronJobs on */1 * * * *`);
  await runConcurrent(count, 20, async (i) => {
    await client.create(CRONJOBS, 'default', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: `tick-${i}` },
      spec: {
        schedule: '*/1 * * * *',
        jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } } } },
      },
    } as KubeObject);
  });
  // Count whole minutes from the next boundary, plus slack for the last starts to arrive.
  const firstBoundary = Math.ceil(Date.now() / 60_000) * 60_000;
  const loadBefore = loadavg()[0]!;
  const endAt = firstBoundary + (MINUTES - 1) * 60_000 + 15_000;
  while (Date.now() < endAt) {
    await new Promise((r) => setTimeout(r, Math.min(10_000, endAt - Date.now())));
    console.log(`  ${seen.length} job starts seen; ${Math.max(0, Math.round((endAt - Date.now()) / 1000))} s to go`);
  }
  handle.stop();
  if (TRACE) traceReport(traced, firstBoundary, seen.filter((x) => x.minute * 60_000 === firstBoundary).map((x) => x.delayMs));
  const loadAfter = loadavg()[0]!;
  await controller.stop();
  // The floor on this machine now: the same number of bare Job creates, as many at once as the controller had workers.
  const floor = await runConcurrent(count, workers, async (i) => {
    await client.create(JOBS, 'default', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: `floor-${i}` }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } } } } as KubeObject);
  });
  await informers.stop();
  await recorder.shutdown();
  client.close();
  watcher.close();
  await server.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
  const delays = seen.filter((x) => x.minute * 60_000 >= firstBoundary && x.minute * 60_000 < firstBoundary + MINUTES * 60_000).map((x) => x.delayMs);
  return { count, workers, delays, floorMs: floor.seconds * 1000, loadBefore, loadAfter };
}

const results: Result[] = [];
for (const n of COUNTS) for (const w of WORKERS) results.push(await run(n, w));

const rows = [['CronJobs', 'workers', 'minutes', 'starts (expected)', 'p50 delay', 'p99 delay', 'max delay', 'p99 / 1 s target', 'as many bare Job creates', 'p99 ÷ bare creates', 'load avg']];
for (const r of results) {
  const sorted = [...r.delays].sort((a, b) => a - b);
  const p99 = percentile(sorted, 99);
  rows.push([
    String(r.count),
    String(r.workers),
    String(MINUTES),
    `${r.delays.length} (${r.count * MINUTES})`,
    `${fmt(percentile(sorted, 50), 0)} ms`,
    `${fmt(p99, 0)} ms`,
    `${fmt(sorted[sorted.length - 1] ?? NaN, 0)} ms`,
    fmt(p99 / TARGET_P99_MS, 3),
    `${fmt(r.floorMs, 0)} ms`,
    fmt(p99 / r.floorMs, 2),
    `${fmt(r.loadBefore, 1)}-${fmt(r.loadAfter, 1)}`,
  ]);
}
console.log('\n' + table(rows));
const text = [
  `${COUNTS.join(' and ')} CronJobs on \`*/1 * * * *\` for ${MINUTES} minutes with the real clock; API server (SQLite), CronJob controller`,
  'and a watching client in one process. Delay = when the watch sees the Job ADDED minus the scheduled second (the Job',
  "name's minute). Upstream's controller wakes 100 ms after the scheduled second by design; the target (issue #15) is p99 <= 1 s.",
  "workers = --concurrent-cron-job-syncs (upstream's default 5). Every start is a Job create, a CronJob status write and an",
  'event; all CronJobs fall due in the same second, so the p99 is the time to do that work N times over. The bare-create',
  'column is the floor on the same server right after: that many Job creates alone, as many in flight as workers; its ratio to',
  'the p99 is the figure that survives the machine\'s load, which moves both.',
  `Load average (1 min) of the ${cpus().length}-core machine, shared with other sessions, at the start and end of each run.`,
  '',
  '```',
  table(rows),
  '```',
  '',
  `Run: \`npm run build && node dist/bench/cronjob/main.js --cronjobs ${COUNTS.join(',')} --minutes ${MINUTES} --workers ${WORKERS.join(',')}\``,
].join('\n');
if (!quick && !args.includes('--no-write')) await writeSection(join(repo, 'docs', 'benchmarks.md'), 'CronJob schedule accuracy', text);
