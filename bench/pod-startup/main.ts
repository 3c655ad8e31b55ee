// Pod start-up latency on Docker (issue: bench/pod-startup): pods created with
// nodeName set → Running seen through a watch, p50/p99 over 100 pods at 10
// pods/s, against `docker run -d` of the same image (the physical limit);
// and the kubelet's RSS with those pods running.
// Run: npm run build && node dist/bench/pod-startup/main.js [--pods N]
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RestClient } from '../../src/client/rest.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import { ensureBusyboxImage, releaseBusyboxImage } from '../../test/helpers/images.js';
import { fmt, summarize, table, writeSection } from '../lib/stats.js';
import { DEFAULT_PAUSE_IMAGE } from '../../src/runtime/pause/rootfs.js';

const execFileAsync = promisify(execFile);

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const args = process.argv.slice(2);
const PODS = Number(args[args.indexOf('--pods') + 1] || 0) || 100;
const RATE = 10;
const NODE = 'bench-node';
const PODS_INFO = resourceFor('', 'v1', 'pods')!;
const DOCKER = '/usr/bin/docker';

function startProcess(argv: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn(process.execPath, argv, { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, K8TS_LOG_LEVEL: 'warn' } });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (ready.test(out)) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}: ${out}`)));
  });
}

/** CPU seconds (user + system) a process has used: a per-pod cost that does not depend on the machine's load. */
async function cpuSeconds(pid: number): Promise<number> {
  const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function rssMB(pid: number): Promise<number> {
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function dockerRunTimes(image: string, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const id = execFileSync(DOCKER, ['run', '-d', '--label', 'k8ts-bench=pod-startup', image, 'sleep', '3600'], { encoding: 'utf8' }).trim();
    out.push(performance.now() - t);
    execFileSync(DOCKER, ['rm', '-f', id]);
  }
  return out;
}

/**
 * What a pod asks of Docker, done by Docker alone at the bench's own arrival
 * rate: a pause container, then the user's container in its network
 * namespace (`docker run -d` twice). Serial `docker run -d` is the floor for
 * one pod; this is the floor for the same load, where the daemon's own
 * throughput, not any one call, sets the latency.
 */
async function dockerPodPairsAtRate(image: string, n: number, rate: number): Promise<number[]> {
  const label = ['--label', 'k8ts-bench=pod-startup'];
  const t0 = performance.now();
  const runs = Array.from({ length: n }, async (_, i) => {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t = performance.now();
    const pause = (await execFileAsync(DOCKER, ['run', '-d', ...label, DEFAULT_PAUSE_IMAGE])).stdout.trim();
    await execFileAsync(DOCKER, ['run', '-d', ...label, '--network', `container:${pause}`, image, 'sleep', '3600']);
    return performance.now() - t;
  });
  try {
    return await Promise.all(runs);
  } finally {
    const ids = execFileSync(DOCKER, ['ps', '-aq', '--filter', 'label=k8ts-bench=pod-startup'], { encoding: 'utf8' }).trim();
    if (ids) execFileSync(DOCKER, ['rm', '-f', ...ids.split('\n')]);
  }
}

async function main(): Promise<void> {
  const image = await ensureBusyboxImage();
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-pods-'));
  const api = await startProcess(['bin/k8ts.js', 'apiserver', '--data-dir', dir, '--port', '0'], /is ready/);
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const kubelet = await startProcess(['bin/k8ts.js', 'kubelet', '--kubeconfig', kubeconfig, '--node-name', NODE, '--runtime', 'docker', '--root-dir', join(dir, 'kubelet'), '--port', '0'], /kubelet is running/);
  const client = new RestClient(loadKubeconfig(kubeconfig), { component: 'bench', qps: 1000, burst: 1000 });
  const created = new Map<string, number>();
  const running = new Map<string, number>();
  try {
    await client.create(resourceFor('', 'v1', 'serviceaccounts')!, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
    let done!: () => void;
    const allRunning = new Promise<void>((r) => (done = r));
    const w = client.watch(PODS_INFO, 'default', { resourceVersion: '0' }, (ev) => {
      const obj = ev.object;
      const name = obj.metadata?.name;
      if (!name || running.has(name) || !created.has(name)) return;
      if ((obj as any).status?.phase === 'Running') {
        running.set(name, performance.now());
        if (running.size === PODS) done();
      }
    });
    const loadBefore = loadavg();
    const cpu0 = await cpuSeconds(kubelet.pid!);
    const t0 = performance.now();
    for (let i = 0; i < PODS; i++) {
      // 10 pods/s, on a fixed schedule so a slow create does not slow the rate.
      const due = t0 + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const name = `p${i}`;
      created.set(name, performance.now());
      void client.create(PODS_INFO, 'default', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: { nodeName: NODE, automountServiceAccountToken: false, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
      });
      if (i % 10 === 9) process.stdout.write(`  created ${i + 1}/${PODS}, running ${running.size}\n`);
    }
    await allRunning;
    const kubeletCpuMs = ((await cpuSeconds(kubelet.pid!)) - cpu0) * 1000;
    w.stop();
    const lat = [...running.entries()].map(([n, t]) => t - created.get(n)!);
    const s = summarize(lat);
    const kubeletRss = await rssMB(kubelet.pid!);
    process.stdout.write('  measuring docker run -d of the same image (20 runs)\n');
    const d = summarize(dockerRunTimes(image, 20));
    process.stdout.write(`  measuring docker alone doing the same work: ${PODS} pause + container pairs at ${RATE}/s\n`);
    const pairs = summarize(await dockerPodPairsAtRate(image, PODS, RATE));
    const rows = [
      ['measure', 'p50 ms', 'p99 ms', 'ratio to docker run -d (p50 / p99)', 'ratio to docker at the same load (p50 / p99)'],
      [`pod created (nodeName set) → Running, ${PODS} pods at ${RATE}/s`, fmt(s.p50), fmt(s.p99), `${fmt(s.p50 / d.p50)} / ${fmt(s.p99 / d.p99)}`, `${fmt(s.p50 / pairs.p50)} / ${fmt(s.p99 / pairs.p99)}`],
      ['docker run -d (same image), one at a time', fmt(d.p50), fmt(d.p99), '1.00 / 1.00', ''],
      [`docker run -d pause, then the container in its network, ${PODS} pairs at ${RATE}/s`, fmt(pairs.p50), fmt(pairs.p99), `${fmt(pairs.p50 / d.p50)} / ${fmt(pairs.p99 / d.p99)}`, '1.00 / 1.00'],
      [`kubelet RSS with ${PODS} pods (MB)`, fmt(kubeletRss, 1), '', '', ''],
      [`kubelet CPU per pod started (ms, user + system)`, fmt(kubeletCpuMs / PODS, 1), '', '', ''],
    ];
    console.log(table(rows));
    const when = new Date().toISOString().slice(0, 10);
    await writeSection(
      join(repo, 'docs', 'benchmarks.md'),
      'Pod start-up (Docker)',
      `Measured ${when} with \`node dist/bench/pod-startup/main.js\`: API server and kubelet (Docker runtime) in separate processes, Docker Engine 20.10 from Debian, a locally imported busybox image; load average ${loadBefore.map((l) => l.toFixed(1)).join(' ')} before the pods and ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end.\nTargets: p99 ≤ 1 s (upstream SLO 5 s), ratio to \`docker run -d\` ≤ 1.5×, kubelet RSS with 100 pods ≤ 100 MB.\n\n\`\`\`\n${table(rows)}\n\`\`\``,
    );
  } finally {
    // Delete the pods through the API so the kubelet removes their containers, then stop everything.
    for (const name of created.keys()) await client.delete(PODS_INFO, 'default', name, { gracePeriodSeconds: 0 }).catch(() => undefined);
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const left = execFileSync(DOCKER, ['ps', '-aq', '--filter', `label=io.k8ts.node.name=${NODE}`], { encoding: 'utf8' }).trim();
      if (!left) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    client.close();
    kubelet.kill('SIGTERM');
    api.kill('SIGTERM');
    await Promise.all([kubelet, api].map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    const stray = execFileSync(DOCKER, ['ps', '-aq', '--filter', `label=io.k8ts.node.name=${NODE}`], { encoding: 'utf8' }).trim();
    if (stray) execFileSync(DOCKER, ['rm', '-f', ...stray.split('\n')]);
    await releaseBusyboxImage();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
