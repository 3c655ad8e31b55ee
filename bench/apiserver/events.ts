// What an Event costs, both ends: a pod start's kubelet events (Pulling,
// Pulled, Created, Started) written by this process's EventRecorder (the
// client code of this checkout) to an API server in its own process (the
// build of --repo, default this checkout). Prints the CPU per event of the
// recorder's process and of the server, from /proc and process.cpuUsage, a
// figure the machine's load moves less than events/s.
// Run: npm run build && node dist/bench/apiserver/events.js [--pods 1000] [--recorders 10] [--warmup 500] [--repo DIR]
// --recorders N: N recorders (the hollow nodes' ten kubelets), each writing its pods' events one at a time.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { RestClient } from '../../src/client/rest.js';
import { EventRecorder } from '../../src/client/events/recorder.js';
import { spawnApiServer } from '../lib/apiserver-process.js';
import { fmt } from '../lib/stats.js';
import { option as opt } from '../lib/args.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = opt('--repo', join(here, '..', '..', '..'));
const pods = Number(opt('--pods', '1000'));
const warmup = Number(opt('--warmup', '500'));
const recorders = Number(opt('--recorders', '10'));

async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-events-'));
const { child } = await spawnApiServer(repo, ['--data-dir', dir, '--port', '0']);
try {
  const client = new RestClient(loadKubeconfig(join(dir, 'kubeconfig.yaml')), { component: 'kubelet', qps: 0 });
  const recs = Array.from({ length: recorders }, (_, i) => new EventRecorder(client, { component: 'kubelet', host: `hollow-node-${i}` }));
  const podStart = (i: number, round: string): void => {
    const rec = recs[i % recorders]!;
    const pod = { kind: 'Pod', apiVersion: 'v1', namespace: 'default', name: `${round}-${i}`, uid: `6a3c1f8e-2b7d-4c1e-9f0a-${String(i).padStart(12, '0')}`, resourceVersion: String(1000 + i) };
    const fp = 'spec.containers{main}';
    rec.eventWithFieldPath(pod, fp, 'Normal', 'Pulling', 'Pulling image "busybox"');
    rec.eventWithFieldPath(pod, fp, 'Normal', 'Pulled', 'Successfully pulled image "busybox" in 0s (0s including waiting). Image size: 0 bytes.');
    rec.eventWithFieldPath(pod, fp, 'Normal', 'Created', 'Created container: main');
    rec.eventWithFieldPath(pod, fp, 'Normal', 'Started', 'Started container main');
  };
  const run = async (n: number, round: string): Promise<void> => {
    // In batches, as pods reach the kubelets: a recorder's queue (1,000) must not overflow.
    for (let i = 0; i < n; i += 100) {
      for (let j = i; j < Math.min(n, i + 100); j++) podStart(j, round);
      await Promise.all(recs.map((r) => r.flush()));
    }
  };
  await run(warmup, 'warmup');
  const s0 = await cpuMs(child.pid!);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await run(pods, 'timed');
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const s1 = await cpuMs(child.pid!);
  const events = pods * 4;
  const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  console.log(
    `events ${events}  recorders ${recorders}  recorder CPU/event ${fmt((c.user + c.system) / 1000 / events, 3)} ms  server CPU/event ${fmt((s1 - s0) / events, 3)} ms  events/s ${fmt(events / seconds)}  load ${load}`,
  );
  await Promise.all(recs.map((r) => r.shutdown()));
  client.close();
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await rm(dir, { recursive: true, force: true });
}
