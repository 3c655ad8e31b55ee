// Bursts of writes after quiet pauses, the shape of the StatefulSet bench's
// rows (about a second of work after seconds of quiet): an API server in its
// own process (the build of --repo, default this checkout) takes --bursts
// bursts of --events Event creates from 16 keep-alive clients, each after a
// pause of --pause-ms, and the bench prints the server's scavenges (from its
// --trace-gc output) and CPU (/proc) per burst. The scavenge count barely
// depends on the machine's load: it shows the nursery each burst ran with,
// which the nursery hold (util/lean-start.ts) and the memory reducer's assist
// (util/idle-reducer.ts, --optimize-for-size while quiet) both shrink.
// Run: npm run build && node dist/bench/apiserver/bursts.js [--bursts 6] [--events 600] [--pause-ms 4500] [--repo DIR]
import https from 'node:https';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { spawnApiServer } from '../lib/apiserver-process.js';
import { option as opt } from '../lib/args.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = opt('--repo', join(here, '..', '..', '..'));
const bursts = Number(opt('--bursts', '6'));
const perBurst = Number(opt('--events', '600'));
const pauseMs = Number(opt('--pause-ms', '4500'));
const CLIENTS = 16;
/** Event creates before the first pause: JIT, connections, and the nursery hold's release (util/lean-start.ts). */
const WARMUP = 8000;

async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-bursts-'));
const { url, child } = await spawnApiServer(repo, ['--data-dir', dir, '--port', '0'], ['--trace-gc']);
let scavenges = 0;
let markCompacts = 0;
child.stdout!.on('data', (d: Buffer) => {
  const text = d.toString();
  scavenges += text.match(/Scavenge/g)?.length ?? 0;
  markCompacts += text.match(/Mark-Compact/g)?.length ?? 0;
});
try {
  const cfg = loadKubeconfig(join(dir, 'kubeconfig.yaml'));
  const agent = new https.Agent({ keepAlive: true, ca: cfg.caData, cert: cfg.certData, key: cfg.keyData });
  const u = new URL(url);
  const post = (path: string, body: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = https.request({ agent, host: u.hostname, port: u.port, path, method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
  const ts = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const event = (name: string): string =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: 'default' },
      involvedObject: { kind: 'Pod', namespace: 'default', name: `web-${name}`, uid: '6a3c1f8e-2b7d-4c1e-9f0a-1d2e3f4a5b6c', apiVersion: 'v1', fieldPath: 'spec.containers{main}' },
      reason: 'Pulling',
      message: 'Pulling image "busybox"',
      source: { component: 'kubelet', host: 'hollow-node-0' },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      type: 'Normal',
      reportingComponent: 'kubelet',
      reportingInstance: 'hollow-node-0',
    });
  let seq = 0;
  const burst = async (n: number): Promise<void> => {
    let sent = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (sent++ < n) {
          const code = await post('/api/v1/namespaces/default/events', event(`e${seq++}`));
          if (code !== 201) throw new Error(`event create answered ${code}`);
        }
      }),
    );
  };
  await burst(WARMUP);
  const rows: string[] = [];
  let cpuSum = 0;
  let scavengeSum = 0;
  for (let b = 1; b <= bursts; b++) {
    await sleep(pauseMs);
    const s0 = scavenges;
    const m0 = markCompacts;
    const c0 = await cpuMs(child.pid!);
    const t0 = performance.now();
    await burst(perBurst);
    const ms = performance.now() - t0;
    // --trace-gc lines come through a pipe: let the burst's last ones arrive.
    await sleep(300);
    const cpu = (await cpuMs(child.pid!)) - c0;
    cpuSum += cpu;
    scavengeSum += scavenges - s0;
    rows.push(`burst ${b}: ${perBurst} events in ${ms.toFixed(0)} ms, server scavenges ${scavenges - s0}, mark-compacts ${markCompacts - m0}, server CPU ${cpu} ms`);
  }
  const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  console.log(rows.join('\n'));
  console.log(`mean: ${(scavengeSum / bursts).toFixed(1)} scavenges and ${(cpuSum / bursts / perBurst).toFixed(3)} ms of server CPU per event  load ${load}`);
  agent.destroy();
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await rm(dir, { recursive: true, force: true });
}
