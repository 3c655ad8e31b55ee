// Idle RSS of `k8ts apiserver`, `k8ts server --disable-agent` and `k8ts server`
// (issue #3: ≤ 80 MB): each run starts a fresh server on a fresh data dir, waits
// for its "ready" line, then --wait seconds, and reads VmRSS from /proc. RSS does
// not depend much on the machine's load, unlike the other API server figures.
// The full server runs its agent (kubelet, pod network, kube-proxy) inside a
// network namespace of its own so its rules and links stay away from the host's.
// Run: npm run build && node dist/bench/apiserver/idle-rss.js [--mode apiserver|server-noagent|server|all]
//        [--runs N] [--wait S] [--repo DIR] [--node-flags "FLAGS"] [--probe]
// Besides VmRSS it prints the file-backed part (mostly the node binary's pages) and the
// anonymous part; --probe also loads bench/lib/mem-probe.js (with --expose-gc) and, after
// the RSS reading, asks it for the V8 heap used after a full GC (the live heap).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, table } from '../lib/stats.js';
import { option as arg } from '../lib/args.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(arg('--repo', join(here, '..', '..', '..')));
const runs = Number(arg('--runs', '3'));
const waitS = Number(arg('--wait', '10'));
const modeArg = arg('--mode', 'all');
const MODES = ['apiserver', 'server-noagent', 'server'] as const;
type Mode = (typeof MODES)[number];
const modes: Mode[] = modeArg === 'all' ? [...MODES] : [modeArg as Mode];
const nodeFlags = arg('--node-flags', '').split(' ').filter(Boolean);
const probe = process.argv.includes('--probe');
const probeModule = join(here, '..', 'lib', 'mem-probe.js');

const NETNS = `k8ts-idle-rss-${process.pid}`;

function sh(cmd: string, a: string[]): void {
  execFileSync(cmd, a, { stdio: 'inherit' });
}

/** A namespace with one veth end standing for the node's interface: the agent needs a non-loopback address and a default route. Deleting the namespace deletes both ends. */
function makeNetns(): void {
  sh('ip', ['netns', 'add', NETNS]);
  sh('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']);
  sh('ip', ['-n', NETNS, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1']);
  sh('ip', ['-n', NETNS, 'link', 'set', 'eth1', 'up']);
  sh('ip', ['-n', NETNS, 'addr', 'add', '10.254.0.2/24', 'dev', 'eth0']);
  sh('ip', ['-n', NETNS, 'link', 'set', 'eth0', 'up']);
  sh('ip', ['-n', NETNS, 'route', 'add', 'default', 'via', '10.254.0.1']);
}

interface Rss { rss: number; file: number; anon: number }

async function rssMB(pid: number): Promise<Rss> {
  const s = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(s)![1]) / 1024;
  return { rss: kb('VmRSS'), file: kb('RssFile'), anon: kb('RssAnon') };
}

/** The live V8 heap (MB used after a full GC), from the probe's line for one SIGWINCH. */
async function liveHeapMB(pid: number, out: string): Promise<number> {
  process.kill(pid, 'SIGWINCH');
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const text = await readFile(out, 'utf8').catch(() => '');
    if (text) return (JSON.parse(text.split('\n')[0]!) as { after: { heapUsed: number } }).after.heapUsed / 2 ** 20;
  }
  return NaN;
}

const load = async (): Promise<string> => (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');

async function once(mode: Mode): Promise<Rss & { heap: number; readyMs: number; load: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-idle-rss-'));
  const probeOut = join(dir, 'mem-probe.jsonl');
  const k8ts = [...nodeFlags, ...(probe ? ['--expose-gc', '--import', probeModule] : []), 'bin/k8ts.js', mode === 'apiserver' ? 'apiserver' : 'server', '--data-dir', dir, '--port', '0'];
  if (mode === 'server-noagent') k8ts.push('--disable-agent');
  if (mode === 'server') k8ts.push('--runtime', 'exec', '--kubelet-port', '0', '--node-name', `idle-rss-${process.pid}`);
  const argv = mode === 'server' ? ['ip', ['netns', 'exec', NETNS, process.execPath, ...k8ts]] as const : [process.execPath, k8ts] as const;
  const t0 = performance.now();
  const child: ChildProcess = spawn(argv[0], [...argv[1]], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, K8TS_LOG_LEVEL: 'warn', K8TS_MEM_PROBE_OUT: probeOut } });
  let out = '';
  child.stderr!.on('data', (d) => (out += d));
  try {
    await new Promise<void>((res, rej) => {
      child.stdout!.on('data', (d) => {
        out += d;
        if (/is ready/.test(out)) res();
      });
      child.on('exit', (code) => rej(new Error(`${mode} exited ${code}: ${out.slice(-2000)}`)));
    });
    const readyMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, waitS * 1000));
    // ip netns exec execs node in place, so the child's pid is the server's.
    const rss = await rssMB(child.pid!);
    return { ...rss, heap: probe ? await liveHeapMB(child.pid!, probeOut) : NaN, readyMs, load: await load() };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

try {
  if (modes.includes('server')) makeNetns();
  const rows: string[][] = [['mode', 'run', `RSS MB ${waitS} s after ready`, 'file-backed MB', 'anonymous MB', 'live heap MB', 'spawn→ready ms', 'load average']];
  for (let i = 0; i < runs; i++) {
    for (const mode of modes) {
      const r = await once(mode);
      rows.push([mode, String(i + 1), fmt(r.rss, 1), fmt(r.file, 1), fmt(r.anon, 1), probe ? fmt(r.heap, 1) : '-', fmt(r.readyMs, 0), r.load]);
      console.error(rows.at(-1)!.join('  '));
    }
  }
  console.log(`repo ${repo}${nodeFlags.length ? `, node flags ${nodeFlags.join(' ')}` : ''}`);
  console.log(table(rows));
} finally {
  if (modes.includes('server')) execFileSync('ip', ['netns', 'delete', NETNS], { stdio: 'ignore' });
}
