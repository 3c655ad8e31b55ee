// "Hosts" as network namespaces on one test switch: each has its own
// loopback and one veth (eth0) to a bridge that lives in a namespace of its
// own; the test process reaches them through one more veth (the uplink).
// Taking a host's switch port down cuts that host off, as unplugging it.
// close() ends every process started through it (and anything left in the
// namespaces), deletes the namespaces, the uplink and the temp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runOk } from '../../src/runtime/exec/run.js';
import { REPO } from './k8ts-process.js';

export const isRoot = process.getuid?.() === 0;

export interface NetnsHost {
  index: number;
  netns: string;
  ip: string;
  /** Switch port of this host. */
  port: string;
  dir: string;
}

export interface HostProc {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** Resolves once the output matches; rejects if the process ends first. */
  waitFor(re: RegExp, what: string): Promise<void>;
}

export interface NetnsNetwork {
  hosts: NetnsHost[];
  dir: string;
  /** `k8ts ARGS` inside a host's namespace, output kept (and written to DIR/<log> when it ends). */
  k8ts(h: NetnsHost, args: string[], log: string): HostProc;
  /** Any command inside a host's namespace. */
  exec(h: NetnsHost, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  setLink(h: NetnsHost, up: boolean): Promise<void>;
  close(): Promise<void>;
}

async function freeSubnet(): Promise<number> {
  const routes = await runOk('ip', ['-4', 'route', 'show', 'table', 'all']);
  for (;;) {
    const x = 100 + (randomBytes(1)[0]! % 150);
    if (!routes.includes(`10.198.${x}.`)) return x;
  }
}

const opened = new Set<() => Promise<void>>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void Promise.allSettled([...opened].map((c) => c())).then(() => process.exit(130));
  });
}

export async function startNetnsNetwork(n: number): Promise<NetnsNetwork> {
  const sfx = randomBytes(3).toString('hex');
  const x = await freeSubnet();
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-netns-'));
  const sw = `k8esw-${sfx}`;
  const uplink = `k8eup-${sfx}`;
  const hosts: NetnsHost[] = [];
  const procs: HostProc[] = [];
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    opened.delete(close);
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await Promise.race([Promise.all(procs.map((p) => p.exited)), new Promise((r) => setTimeout(r, 20_000).unref())]);
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    // etcd members die with their server (pdeathsig); anything else left in a host namespace goes too.
    for (let pass = 0; pass < 3; pass++) {
      const pids: number[] = [];
      for (const h of hosts) pids.push(...(await run('ip', ['netns', 'pids', h.netns])).stdout.split('\n').filter(Boolean).map(Number));
      if (!pids.length) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    for (const h of hosts) await run('ip', ['netns', 'del', h.netns]);
    await run('ip', ['link', 'del', uplink]);
    await run('ip', ['netns', 'del', sw]);
    if (!process.env.K8TS_KEEP_NETNS) await rm(dir, { recursive: true, force: true });
  };
  opened.add(close);
  try {
    await runOk('ip', ['netns', 'add', sw]);
    await runOk('ip', ['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    await runOk('ip', ['-n', sw, 'link', 'set', 'br0', 'up']);
    await runOk('ip', ['link', 'add', uplink, 'type', 'veth', 'peer', 'name', 'up0', 'netns', sw]);
    await runOk('ip', ['-n', sw, 'link', 'set', 'up0', 'master', 'br0', 'up']);
    await runOk('ip', ['addr', 'add', `10.198.${x}.1/24`, 'dev', uplink]);
    await runOk('ip', ['link', 'set', uplink, 'up']);
    for (let i = 0; i < n; i++) {
      const netns = `k8eh${i}-${sfx}`;
      const h: NetnsHost = { index: i, netns, ip: `10.198.${x}.${10 + i}`, port: `h${i}`, dir: join(dir, `host${i}`) };
      await mkdir(h.dir, { recursive: true });
      hosts.push(h);
      await runOk('ip', ['netns', 'add', netns]);
      await runOk('ip', ['-n', sw, 'link', 'add', h.port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      await runOk('ip', ['-n', sw, 'link', 'set', h.port, 'master', 'br0', 'up']);
      await runOk('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
      await runOk('ip', ['-n', netns, 'addr', 'add', `${h.ip}/24`, 'dev', 'eth0']);
      await runOk('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return {
    hosts,
    dir,
    k8ts(h, args, log) {
      const child = spawn('ip', ['netns', 'exec', h.netns, process.execPath, 'bin/k8ts.js', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, K8TS_LOG_LEVEL: process.env.K8TS_LOG_LEVEL ?? 'warn' } });
      let out = '';
      const keep = (d: Buffer): void => {
        out += d.toString();
        if (out.length > 400_000) out = out.slice(-200_000);
      };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      const exited = new Promise<number | null>((r) => child.once('exit', (code, sig) => r(code ?? (sig ? 128 : null))));
      void exited.then(() => writeFile(join(dir, log), out).catch(() => undefined));
      const p: HostProc = {
        child,
        output: () => out,
        exited,
        waitFor: (re, what) =>
          new Promise<void>((resolve, reject) => {
            const check = (): void => {
              if (re.test(out)) {
                child.stdout!.off('data', check);
                child.stderr!.off('data', check);
                resolve();
              }
            };
            child.stdout!.on('data', check);
            child.stderr!.on('data', check);
            void exited.then((code) => reject(new Error(`${what} exited ${code} before printing ${re}:\n${out.slice(-5000)}`)));
            check();
          }),
      };
      procs.push(p);
      return p;
    },
    exec: (h, argv) => run('ip', ['netns', 'exec', h.netns, ...argv]),
    async setLink(h, up) {
      await runOk('ip', ['-n', sw, 'link', 'set', h.port, up ? 'up' : 'down']);
    },
    close,
  };
}
