// Exec round trip on the exec runtime: `true` run through runtime.exec in a
// running container (nsenter into the pod's namespaces, cgroup join, env -i;
// with pipes and with a pty) against spawning `true` directly on the host,
// the floor any exec pays. Runs as root (namespaces isolation); the host
// isolation figure is measured too. Sequential calls, p50/p99 over N.
// Also: N concurrent exec sessions held open by one runtime (issue 13 asks ≥ 500 per kubelet).
// Run: npm run build && node dist/bench/exec-runtime.js [--runs N] [--sessions N]
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createExecRuntime, type ExecRuntime } from '../src/runtime/exec/index.js';
import type { Isolation } from '../src/runtime/exec/index.js';
import { fmt, summarize, table, writeSection } from './lib/stats.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] || 0) || 200;
const WARMUP = 10;

async function timed(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

function spawnTrue(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('true', [], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
}

async function withRuntime(isolation: Isolation, subnet: number, fn: (rt: ExecRuntime, container: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-exec-'));
  const rt = createExecRuntime({ rootDir: join(dir, 'runtime'), nodeName: `bench-exec-${isolation}-${process.pid}`, podCIDR: `10.244.${subnet}.0/24`, isolation });
  try {
    const sb = { metadata: { name: 'bench', namespace: 'default', uid: `bench-${process.pid}`, attempt: 0 }, hostname: 'bench', hostNetwork: false, portMappings: [], labels: {}, annotations: {}, podDir: join(dir, 'pod') };
    const sandbox = await rt.runPodSandbox(sb);
    const cfg = { metadata: { name: 'main', attempt: 0 }, image: 'busybox', command: ['sleep', '100000'], args: [], env: [], mounts: [], labels: {}, annotations: {}, logPath: join(dir, 'main.log') };
    const id = await rt.createContainer(sandbox, cfg, sb);
    await rt.startContainer(id);
    await fn(rt, id);
    await rt.removePodSandbox(sandbox);
  } finally {
    await rt.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const execTrue = (rt: ExecRuntime, id: string, tty: boolean) => async (): Promise<void> => {
  const code = await rt.exec(id, { cmd: ['true'], stdout: new PassThrough().resume(), stderr: new PassThrough().resume(), tty });
  if (code !== 0) throw new Error(`exec true exited ${code}`);
};

const SESSIONS = Number(args[args.indexOf('--sessions') + 1] || 0) || 500;

/** N exec sessions of `cat` held open at once: each echoes a byte back, then all get EOF and must exit 0. */
async function concurrentSessions(rt: ExecRuntime, id: string, n: number): Promise<{ openSeconds: number; rssDeltaMB: number; fds: number }> {
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const sessions = await Promise.all(
    Array.from({ length: n }, async () => {
      const stdin = new PassThrough();
      const stdout = new PassThrough();
      const done = rt.exec(id, { cmd: ['cat'], stdin, stdout, stderr: new PassThrough().resume() });
      const echoed = new Promise<void>((resolve) => stdout.once('data', () => resolve()));
      stdin.write('x');
      await echoed;
      stdout.resume();
      return { stdin, done };
    }),
  );
  const openSeconds = (performance.now() - t0) / 1000;
  const { readdirSync } = await import('node:fs');
  const fds = readdirSync('/proc/self/fd').length;
  const rssDeltaMB = (process.memoryUsage().rss - rss0) / 1024 / 1024;
  for (const s of sessions) s.stdin.end();
  const codes = await Promise.all(sessions.map((s) => s.done));
  if (codes.some((c) => c !== 0)) throw new Error(`sessions exited ${[...new Set(codes)].join(',')}`);
  return { openSeconds, rssDeltaMB, fds };
}

async function main(): Promise<void> {
  const root = process.getuid?.() === 0;
  console.log(`exec round trip of \`true\`, ${RUNS} sequential runs each (after ${WARMUP} warm-up runs)`);
  let held = '';
  const rows: string[][] = [['path', 'p50 ms', 'p99 ms', 'p50 ratio to direct spawn']];
  const direct = summarize(await timed(RUNS, spawnTrue));
  console.log(`direct spawn on the host: p50 ${fmt(direct.p50)} ms`);
  const add = (name: string, lat: number[]): void => {
    const s = summarize(lat);
    rows.push([name, fmt(s.p50), fmt(s.p99), `${fmt(s.p50 / direct.p50)}×`]);
    console.log(`${name}: p50 ${fmt(s.p50)} ms, p99 ${fmt(s.p99)} ms`);
  };
  rows.push(['spawn `true` directly on the host (reference)', fmt(direct.p50), fmt(direct.p99), '1.00×']);
  if (root) {
    await withRuntime('namespaces', 240, async (rt, id) => {
      add('runtime.exec, pod namespaces + cgroup, pipes', await timed(RUNS, execTrue(rt, id, false)));
      add('runtime.exec, pod namespaces + cgroup, tty (node-pty)', await timed(RUNS, execTrue(rt, id, true)));
      const c = await concurrentSessions(rt, id, SESSIONS);
      held = `${SESSIONS} concurrent exec sessions (\`cat\`, pipes, pod namespaces) held by one runtime: all open and echoing after ${fmt(c.openSeconds)} s, ${c.fds} file descriptors in the runtime's process, RSS +${fmt(c.rssDeltaMB, 1)} MB; all ended with exit 0 on EOF.`;
      console.log(held);
    });
  } else console.log('not root: namespaces isolation skipped');
  await withRuntime('host', 241, async (rt, id) => {
    add('runtime.exec, host isolation, pipes', await timed(RUNS, execTrue(rt, id, false)));
  });
  const body = [
    `\`node dist/bench/exec-runtime.js --runs ${RUNS} --sessions ${SESSIONS}\` (${root ? 'as root' : 'not root'}): \`true\` through the exec runtime's \`exec\` in a running`,
    'container, sequential, against spawning `true` directly from Node on the host (the floor: one fork/exec).',
    'With pod namespaces an exec is `nsenter` (mount, UTS, IPC, network, PID: it forks) → `sh` joining the',
    "container's cgroup → `env -i` → the command: four execs and one extra fork per call.",
    '',
    '```',
    table(rows),
    '```',
    '',
    held,
  ].join('\n');
  await writeSection(join(repo, 'docs', 'benchmarks.md'), 'Exec runtime: exec round trip', body);
  console.log('written to docs/benchmarks.md');
}

await main();
