// Streaming figures (issue #13: bench/streaming): `kubectl exec pod -- true`
// round trip against `docker exec` of the same container; port-forward
// throughput against a direct connection to the pod IP; and how many
// concurrent exec sessions one kubelet holds (WebSocket v5 clients through
// the API server, each running `cat` and echoing a line).
// Run: npm run build && node dist/bench/streaming/main.js [--runs N] [--sessions N]
import { execFile } from 'node:child_process';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { Writable } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSecureContext } from 'node:tls';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { LABEL_POD_UID } from '../../src/runtime/interface.js';
import { KUBECTL, kubectlOk } from '../../test/helpers/kubectl.js';
import { startStreamingEnv } from '../../test/streaming/harness.js';
import { portForward } from '../../test/streaming/kubectl-run.js';
import { fmt, summarize, table, writeSection } from '../lib/stats.js';

const run = promisify(execFile);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const args = process.argv.slice(2);
const opt = (name: string, def: number): number => Number(args[args.indexOf(name) + 1] || 0) || def;
const RUNS = opt('--runs', 30);
const SESSIONS = opt('--sessions', 500);
const MB = 64;

/** Wall-clock ms of each run, and the CPU ms this process (API server, kubelet, the bench's own clients) spent on it. */
async function timed(fn: () => Promise<unknown>, wall: number[], cpu: number[]): Promise<void> {
  const c = process.cpuUsage();
  const t = performance.now();
  await fn();
  wall.push(performance.now() - t);
  const d = process.cpuUsage(c);
  cpu.push((d.user + d.system) / 1000);
}

/** The kubelet at upstream's default periods (the tests' FAST ones relist the runtime 20 times a second). */
const UPSTREAM_PERIODS = { plegRelistPeriod: 1_000, nodeStatusUpdateFrequency: 10_000, leaseRenewInterval: 10_000, syncFrequency: 60_000, fileCheckFrequency: 20_000 };

/** Seconds to fetch the big file over plain HTTP/1.0 from host:port. */
function download(host: string, port: number): Promise<{ bytes: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    let bytes = 0;
    http
      .get({ host, port, path: '/big', agent: false }, (res) => {
        res.on('data', (d: Buffer) => (bytes += d.length));
        res.on('end', () => resolve({ bytes, seconds: (performance.now() - t) / 1000 }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0]!;
  const env = await startStreamingEnv('docker', undefined, UPSTREAM_PERIODS);
  const kc = env.server.kubeconfig;
  try {
    const pod = await env.runPod('bench', [{ name: 'main', command: ['sh', '-c', `mkdir -p /www && dd if=/dev/urandom of=/www/big bs=1M count=${MB} 2>/dev/null && exec httpd -f -p 8080 -h /www`] }]);
    const [c] = await env.runtime.listContainers({ labelSelector: { [LABEL_POD_UID]: pod.metadata.uid } });
    await kubectlOk(kc, ['exec', 'bench', '--', 'true']);

    // One exec as a WebSocket v5 client: the API server → kubelet → runtime path without kubectl's own start-up.
    const pki = env.server.pki!;
    // One client TLS context for all the WebSocket sessions, as a client process builds its TLS config once.
    const clientTls = { secureContext: createSecureContext({ cert: pki.adminCertPem, key: pki.adminKeyPem, ca: pki.caCertPem }) } as WebSocket.ClientOptions;
    const wsExec = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`${env.server.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/bench/exec?command=true&stdout=true&container=main`, ['v5.channel.k8s.io'], clientTls);
        let status = '';
        ws.on('message', (d: Buffer) => {
          if (d[0] === 3) status += d.subarray(1).toString();
        });
        ws.on('close', () => (/"Success"/.test(status) ? resolve() : reject(new Error(`exec ended with ${status || 'no status'}`))));
        ws.on('error', reject);
      });
    const devNull = new Writable({ write: (_c, _e, cb) => cb() });
    // The measures take turns, run by run, so a change in the machine's load weighs on all of them alike.
    process.stdout.write(`  kubectl exec, WebSocket exec, the runtime's own exec, docker exec, kubectl get pod, both clients' start-up: ${RUNS} runs each, interleaved\n`);
    const t = { kExec: [] as number[], ws: [] as number[], rt: [] as number[], dExec: [] as number[], kGet: [] as number[], kStart: [] as number[], dStart: [] as number[] };
    const cpu = { kExec: [] as number[], ws: [] as number[], rt: [] as number[], dExec: [] as number[], kGet: [] as number[], kStart: [] as number[], dStart: [] as number[] };
    for (let i = 0; i < RUNS; i++) {
      await timed(() => kubectlOk(kc, ['exec', 'bench', '--', 'true']), t.kExec, cpu.kExec);
      await timed(wsExec, t.ws, cpu.ws);
      await timed(() => env.runtime.exec(c!.id, { cmd: ['true'], stdout: devNull, stderr: devNull }), t.rt, cpu.rt);
      await timed(() => run('/usr/bin/docker', ['exec', c!.id, 'true']), t.dExec, cpu.dExec);
      await timed(() => kubectlOk(kc, ['get', 'pod', 'bench']), t.kGet, cpu.kGet);
      // Each client's own start-up, with no request: what the two binaries cost before any exec work.
      await timed(() => run(KUBECTL, ['version', '--client']), t.kStart, cpu.kStart);
      await timed(() => run('/usr/bin/docker', ['--version']), t.dStart, cpu.dStart);
    }
    // This process's CPU per run: the server side of a kubectl exec (API server and kubelet), against the
    // same while docker exec runs (spawning the client, and the kubelet's and API server's background work).
    const cpuMs = (xs: number[]): number => summarize(xs).p50;
    const kExec = summarize(t.kExec);
    const wExec = summarize(t.ws);
    const rExec = summarize(t.rt);
    const dExec = summarize(t.dExec);
    const kGet = summarize(t.kGet);
    const kStart = summarize(t.kStart);
    const dStart = summarize(t.dStart);

    // The file exists once httpd runs; wait for it to be whole.
    for (;;) {
      const size = (await kubectlOk(kc, ['exec', 'bench', '--', 'sh', '-c', 'wc -c < /www/big'])).trim();
      if (Number(size) === MB * 1024 * 1024) break;
    }
    const ip = pod.status.podIP as string;
    process.stdout.write(`  ${MB} MB downloads: direct to ${ip} and through kubectl port-forward\n`);
    const direct: number[] = [];
    for (let i = 0; i < 3; i++) {
      const d = await download(ip, 8080);
      direct.push(d.bytes / 1048576 / d.seconds);
    }
    const pf = await portForward(kc, 'pod/bench', 8080);
    const forwarded: number[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const d = await download('127.0.0.1', pf.port);
        if (d.bytes !== MB * 1048576) throw new Error(`port-forward delivered ${d.bytes} bytes`);
        forwarded.push(d.bytes / 1048576 / d.seconds);
      }
    } finally {
      await pf.stop();
    }
    const best = (xs: number[]) => Math.max(...xs);

    process.stdout.write(`  opening ${SESSIONS} concurrent exec sessions (WebSocket v5, cat)\n`);
    const url = `${env.server.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/bench/exec?command=cat&stdin=true&stdout=true&container=main`;
    const sockets: WebSocket[] = [];
    let echoed = 0;
    const t0 = performance.now();
    const open = (i: number) =>
      new Promise<void>((resolve) => {
        const ws = new WebSocket(url, ['v5.channel.k8s.io'], clientTls);
        sockets.push(ws);
        let got = '';
        ws.on('message', (d: Buffer) => {
          if (d[0] !== 1) return;
          got += d.subarray(1).toString();
          if (got.includes(`line-${i}\n`)) {
            echoed++;
            resolve();
          }
        });
        ws.on('open', () => ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(`line-${i}\n`)])));
        ws.on('error', () => resolve());
        ws.on('close', () => resolve());
      });
    for (let i = 0; i < SESSIONS; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, SESSIONS - i) }, (_, j) => open(i + j)));
      process.stdout.write(`    ${Math.min(i + 50, SESSIONS)} opened, ${echoed} echoing\n`);
    }
    const openSeconds = (performance.now() - t0) / 1000;
    const heldOpen = sockets.filter((s) => s.readyState === WebSocket.OPEN).length;
    const rssMB = process.memoryUsage().rss / 1048576;
    // Closing stdin (v5 close signal) ends each cat; the sessions then close with a Success status.
    await Promise.all(
      sockets.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState !== WebSocket.OPEN) return resolve();
            ws.once('close', () => resolve());
            ws.send(Buffer.from([255, 0]));
          }),
      ),
    );

    const rows = [
      ['measure', 'value', 'reference', 'ratio'],
      [`kubectl exec pod -- true, p50 / p99 ms (${RUNS} runs)`, `${fmt(kExec.p50)} / ${fmt(kExec.p99)}`, `docker exec: ${fmt(dExec.p50)} / ${fmt(dExec.p99)}`, `${fmt(kExec.p50 / dExec.p50)} / ${fmt(kExec.p99 / dExec.p99)}`],
      [`exec -- true as a WebSocket v5 client (no kubectl start-up), p50 / p99 ms`, `${fmt(wExec.p50)} / ${fmt(wExec.p99)}`, `the kubelet's runtime.exec alone: ${fmt(rExec.p50)} / ${fmt(rExec.p99)}`, `${fmt(wExec.p50 / rExec.p50)} / ${fmt(wExec.p99 / rExec.p99)}`],
      [`kubectl get pod bench, p50 / p99 ms (kubectl's floor: start-up, TLS, one request)`, `${fmt(kGet.p50)} / ${fmt(kGet.p99)}`, '', `${fmt(kGet.p50 / dExec.p50)} / ${fmt(kGet.p99 / dExec.p99)}`],
      [`client start-up alone, p50 / p99 ms: kubectl version --client`, `${fmt(kStart.p50)} / ${fmt(kStart.p99)}`, `docker --version: ${fmt(dStart.p50)} / ${fmt(dStart.p99)}`, `${fmt(kStart.p50 / dStart.p50)} / ${fmt(kStart.p99 / dStart.p99)}`],
      [`exec p50 less its client's start-up p50, ms`, fmt(kExec.p50 - kStart.p50), `docker exec: ${fmt(dExec.p50 - dStart.p50)}`, fmt((kExec.p50 - kStart.p50) / (dExec.p50 - dStart.p50))],
      [`CPU ms of this process (API server + kubelet) per kubectl exec, p50`, fmt(cpuMs(cpu.kExec)), `while docker exec runs: ${fmt(cpuMs(cpu.dExec))}`, `less that: ${fmt(cpuMs(cpu.kExec) - cpuMs(cpu.dExec))}`],
      [`CPU ms of this process per WebSocket exec (with the client's TLS), p50`, fmt(cpuMs(cpu.ws)), `per runtime.exec: ${fmt(cpuMs(cpu.rt))}`, fmt(cpuMs(cpu.ws) / cpuMs(cpu.rt))],
      [`port-forward throughput, ${MB} MB over HTTP (best of 3, MB/s)`, fmt(best(forwarded), 1), `direct to pod IP: ${fmt(best(direct), 1)}`, fmt(best(forwarded) / best(direct))],
      [`concurrent exec sessions held by one kubelet (target ${SESSIONS})`, `${heldOpen} open, ${echoed} echoed`, `opened in ${fmt(openSeconds, 1)} s`, `RSS of the test process (API server + kubelet) ${fmt(rssMB, 0)} MB`],
    ];
    console.log(table(rows));
    const when = new Date().toISOString().slice(0, 10);
    await writeSection(
      join(repo, 'docs', 'benchmarks.md'),
      'Streaming (exec, port-forward)',
      `Measured ${when} with \`node dist/bench/streaming/main.js\`: a secure API server and a kubelet (Docker runtime, HTTPS, upstream's default periods: PLEG relist 1 s, node status 10 s) in one process, kubectl 1.32 (the test helpers' pinned build) as the client; the exec sessions are WebSocket (v5.channel.k8s.io) clients through the API server, each running \`cat\`.\nTargets: exec round trip ≤ 1.3× \`docker exec\`; ≥ 500 concurrent exec sessions. Machine load (1-minute load average, ${cpus().length} cores shared with other sessions): ${fmt(loadAtStart, 1)} at the start, ${fmt(loadavg()[0]!, 1)} at the end.\n\n\`kubectl exec\` makes two requests (GET of the pod, then the upgrade) on two TLS connections and the API server hands the upgrade to a connection to the kubelet it opened ahead of time (one spare per kubelet), where \`docker exec\` makes five calls on a unix socket (ping, container inspect, exec create, exec start, exec inspect; the kubelet makes the last three); the \`kubectl get pod\` row is kubectl's own share, the start-up rows are each client run with no request (a Go binary's start: kubectl registers every API type at start-up), and the row below them takes each client's start-up out of its exec, and the WebSocket row is the API server → kubelet → runtime path alone, against the kubelet's own call into Docker. The measures take turns run by run. The CPU rows are this process's own CPU time (user + system) while each run lasts: the server side of an exec (kubectl, Docker's daemons and runc are other processes), against the same while \`docker exec\` runs, which holds what both have besides the exec: this process spawning the client (about 3 ms: a fork of a large process) and the kubelet's and API server's background work. Port-forward bytes cross two extra TLS hops (kubectl → API server → kubelet) and SPDY-in-WebSocket framing; the direct reference is the host reading the pod's IP.\n\n\`\`\`\n${table(rows)}\n\`\`\``,
    );
  } finally {
    await env.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
