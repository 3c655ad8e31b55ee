// "Hosts" as network namespaces on one test switch, for every suite that needs
// several machines (the HA servers of test/ha, the joined nodes of
// test/multinode): each host has its own loopback and one veth (eth0) to a
// bridge that lives in a namespace of its own, so no bridged frame ever meets
// the machine's iptables (and, with br_netfilter off in that namespace, no
// netfilter at all, as on a hardware switch); the test process reaches the
// hosts through one more veth (the uplink). Taking a host's switch port down
// cuts that host off, as unplugging it. A host's own routes and FORWARD policy
// live in its namespace: the machine's are never touched.
//
// close() ends every process started through it, then whatever is left in the
// namespaces or names the network's temp dir (pods outlive their kubelet, and
// a pod's processes sit in network namespaces of their own), unmounts what is
// mounted under that dir, and deletes the namespaces, the uplink and the dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { run, runOk } from '../../src/runtime/exec/run.js';
import { REPO } from './k8ts-process.js';

export const isRoot = process.getuid?.() === 0;

export interface HostProc {
  child: ChildProcess;
  output(): string;
  /** The exit code (128 when a signal ended it). */
  exited: Promise<number | null>;
  /** Resolves once the output matches; rejects if the process ends first. */
  waitFor(re: RegExp, what: string): Promise<void>;
}

export interface NetnsHost {
  index: number;
  netns: string;
  ip: string;
  /** Switch port of this host. */
  port: string;
  dir: string;
  /** What was started on this host through k8ts(), oldest first. */
  procs: HostProc[];
}

export interface NetnsNetworkOptions {
  hosts: number;
  /**
   * The /16 the test subnet is taken from. Each kind of suite has its own, so
   * two suites started at the same moment cannot pick the same /24.
   */
  net: '10.198' | '10.199';
  /** Stem of the switch, uplink and host namespace names: TAGsw-ID, TAGup-ID, TAGhN-ID. */
  tag: string;
  /** Routes every host gets on eth0 (there is no default route: nothing may leave the test network). */
  routes?: string[];
  /** Every host's FORWARD policy (DROP: as Docker leaves a host). */
  forwardPolicy?: 'ACCEPT' | 'DROP';
  /**
   * Besides the switch, one veth pair between every two hosts, with a /32 route to the other's address over it
   * (`meshN` in host M is its link to host N): host-to-host traffic then crosses one link, as between machines
   * whose NICs share a segment, and not the two veths and the bridge of the switch, which cost the CPU of
   * this machine where real switch hardware costs a host none. The switch stays for the test process.
   */
  mesh?: boolean;
}

export interface NetnsNetwork {
  hosts: NetnsHost[];
  /** The random part of every name this network made. */
  id: string;
  /** The hosts' /24, as A.B.C.0/24. */
  subnet: string;
  dir: string;
  /** `k8ts ARGS` inside a host's namespace, output kept (and written, when it ends, to `log`: a path, relative to DIR or absolute). */
  k8ts(h: NetnsHost, args: string[], log: string): HostProc;
  /** Any command inside a host's namespace. */
  exec(h: NetnsHost, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  setLink(h: NetnsHost, up: boolean): Promise<void>;
  /** Every caller waits for the one clean-up to finish. */
  close(): Promise<void>;
}

/** A /24 in NET.0.0/16 that no route of this machine touches. */
async function freeSubnet(net: string): Promise<number> {
  const routes = await runOk('ip', ['-4', 'route', 'show', 'table', 'all']);
  for (;;) {
    const x = 100 + (randomBytes(1)[0]! % 150);
    if (!routes.includes(`${net}.${x}.`)) return x;
  }
}

/** Processes whose command line holds `text` (everything a network ran names a path under its temp dir). */
function processesMentioning(text: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(text)) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Neither exited nor killed by a signal yet. */
export const running = (p: HostProc): boolean => p.child.exitCode === null && p.child.signalCode === null;

function spawnK8ts(netns: string, args: string[], logFile: string): HostProc {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, 'bin/k8ts.js', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, K8TS_LOG_LEVEL: process.env.K8TS_LOG_LEVEL ?? 'warn' } });
  let out = '';
  const keep = (d: Buffer): void => {
    out += d.toString();
    if (out.length > 400_000) out = out.slice(-200_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((r) => child.once('exit', (code, sig) => r(code ?? (sig ? 128 : null))));
  void exited.then(() => writeFile(logFile, out).catch(() => undefined));
  return {
    child,
    output: () => out,
    exited,
    waitFor: (re, what) =>
      new Promise<void>((resolveWait, reject) => {
        const check = (): void => {
          if (re.test(out)) {
            child.stdout!.off('data', check);
            child.stderr!.off('data', check);
            resolveWait();
          }
        };
        child.stdout!.on('data', check);
        child.stderr!.on('data', check);
        void exited.then((code) => reject(new Error(`${what} exited ${code} before printing ${re}:\n${out.slice(-5000)}`)));
        check();
      }),
  };
}

// A test run stopped from outside (Ctrl-C, the runner's timeout) still takes its hosts down.
const opened = new Set<() => Promise<void>>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void Promise.allSettled([...opened].map((c) => c())).then(() => process.exit(130));
  });
}

export async function startNetnsNetwork(o: NetnsNetworkOptions): Promise<NetnsNetwork> {
  const id = randomBytes(3).toString('hex');
  const x = await freeSubnet(o.net);
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-netns-'));
  const sw = `${o.tag}sw-${id}`;
  const uplink = `${o.tag}up-${id}`;
  const hosts: NetnsHost[] = [];
  let closing: Promise<void> | undefined;

  const close = (): Promise<void> => (closing ??= takeDown());
  const takeDown = async (): Promise<void> => {
    opened.delete(close);
    const procs = hosts.flatMap((h) => h.procs);
    for (const p of procs) if (running(p)) p.child.kill('SIGTERM');
    await Promise.race([Promise.all(procs.map((p) => p.exited)), new Promise((r) => setTimeout(r, 20_000).unref())]);
    for (const p of procs) if (running(p)) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    // etcd members die with their server (pdeathsig) and pods outlive their kubelet (a restarted one adopts
    // them): whatever is left goes, whether it sits in a host's namespace or in a pod's own.
    for (let pass = 0; pass < 3; pass++) {
      const pids = new Set(processesMentioning(dir));
      for (const h of hosts) {
        for (const pid of (await run('ip', ['netns', 'pids', h.netns])).stdout.split('\n').filter(Boolean)) pids.add(Number(pid));
      }
      if (!pids.size) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').reverse()) {
      const mp = line.split(' ')[4];
      if (mp?.startsWith(dir)) await run('umount', ['-l', mp]);
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
    // A switch forwards frames without a host's netfilter: with br_netfilter loaded, every frame the bridge
    // forwards would otherwise go through the IP hooks of the switch's namespace (a cost no real link has).
    for (const family of ['iptables', 'ip6tables', 'arptables']) {
      const key = `/proc/sys/net/bridge/bridge-nf-call-${family}`;
      await run('ip', ['netns', 'exec', sw, 'sh', '-c', `[ ! -e ${key} ] || echo 0 > ${key}`]);
    }
    await runOk('ip', ['link', 'add', uplink, 'type', 'veth', 'peer', 'name', 'up0', 'netns', sw]);
    await runOk('ip', ['-n', sw, 'link', 'set', 'up0', 'master', 'br0', 'up']);
    await runOk('ip', ['addr', 'add', `${o.net}.${x}.1/24`, 'dev', uplink]);
    await runOk('ip', ['link', 'set', uplink, 'up']);
    for (let i = 0; i < o.hosts; i++) {
      const netns = `${o.tag}h${i}-${id}`;
      const h: NetnsHost = { index: i, netns, ip: `${o.net}.${x}.${10 + i}`, port: `h${i}`, dir: join(dir, `host${i}`), procs: [] };
      await mkdir(h.dir, { recursive: true });
      hosts.push(h);
      await runOk('ip', ['netns', 'add', netns]);
      await runOk('ip', ['-n', sw, 'link', 'add', h.port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      await runOk('ip', ['-n', sw, 'link', 'set', h.port, 'master', 'br0', 'up']);
      await runOk('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
      await runOk('ip', ['-n', netns, 'addr', 'add', `${h.ip}/24`, 'dev', 'eth0']);
      await runOk('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
      for (const to of o.routes ?? []) await runOk('ip', ['-n', netns, 'route', 'add', to, 'dev', 'eth0']);
      if (o.forwardPolicy) await runOk('ip', ['netns', 'exec', netns, 'iptables', '-w', '-P', 'FORWARD', o.forwardPolicy]);
    }
    if (o.mesh) {
      for (const a of hosts) {
        for (const b of hosts) {
          if (b.index <= a.index) continue;
          await runOk('ip', ['-n', a.netns, 'link', 'add', `mesh${b.index}`, 'type', 'veth', 'peer', 'name', `mesh${a.index}`, 'netns', b.netns]);
          for (const [h, peer] of [[a, b], [b, a]] as const) {
            await runOk('ip', ['-n', h.netns, 'link', 'set', `mesh${peer.index}`, 'up']);
            await runOk('ip', ['-n', h.netns, 'route', 'add', `${peer.ip}/32`, 'dev', `mesh${peer.index}`, 'src', h.ip]);
          }
        }
      }
    }
  } catch (err) {
    await close();
    throw err;
  }
  return {
    hosts,
    id,
    subnet: `${o.net}.${x}.0/24`,
    dir,
    k8ts(h, args, log) {
      const p = spawnK8ts(h.netns, args, resolve(dir, log));
      h.procs.push(p);
      return p;
    },
    exec: (h, argv) => run('ip', ['netns', 'exec', h.netns, ...argv]),
    async setLink(h, up) {
      await runOk('ip', ['-n', sw, 'link', 'set', h.port, up ? 'up' : 'down']);
      if (o.mesh) for (const peer of hosts) if (peer !== h) await runOk('ip', ['-n', h.netns, 'link', 'set', `mesh${peer.index}`, up ? 'up' : 'down']);
    },
    close,
  };
}
