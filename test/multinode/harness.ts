// N "hosts" on this machine, as real as one machine allows: each a network
// namespace with its own loopback, one veth ("eth0") to a test switch (a
// bridge inside a namespace of its own, so no bridged frame ever meets the
// machine's iptables), its own address in a test subnet, its own data dir and
// kubelet --root-dir. Host 0 runs `k8ts server`; the others run a node agent.
// The test process reaches the hosts through one more veth into the switch.
// close() takes everything down: processes (and the pods they left), the
// namespaces (with their routes, devices and rules), the veth, the dirs.
//
// startNodeAgent() is the one place that says how a host joins: `k8ts agent
// --server URL --token T`, the real join path (discovery against the token's
// CA pin, the CSRs, then kubelet, kube-proxy, the pod network agent and the
// local-path provisioner in one process), with the server's node-token.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/k8ts-process.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { until } from '../helpers/wait.js';
import { run, runOk } from '../../src/runtime/exec/run.js';

export const isRoot = process.getuid?.() === 0;
const API_PORT = 6443;

export interface HostProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export interface Host {
  index: number;
  name: string;
  netns: string;
  ip: string;
  /** The switch port of this host (taking it down cuts the host off). */
  port: string;
  dir: string;
  rootDir: string;
  procs: HostProcess[];
}

export interface ClusterOptions {
  hosts: number;
  /** --flannel-backend of every node. */
  backend: 'host-gw' | 'vxlan' | 'auto';
  /** Extra `k8ts server` flags (fast failover profile). */
  serverArgs?: string[];
  /** Kubelet tuning of the agents, as `k8ts agent --kubelet-arg NAME=VALUE` takes it. */
  kubeletArgs?: string[];
  /**
   * The server host's node: `k8ts server`'s own kubelet and proxy (true), or
   * `--disable-agent` and a `k8ts agent` like every other host's (false: the
   * fast failover profile needs the kubelet lease flags `--kubelet-arg` passes).
   */
  embeddedAgent?: boolean;
  /** Every host's FORWARD policy (DROP: as Docker leaves a host). */
  forwardPolicy?: 'ACCEPT' | 'DROP';
  /** Hosts (by index) to leave without an agent at start (they join later). */
  deferred?: number[];
}

export interface MultiHostCluster {
  hosts: Host[];
  subnet: string;
  /** Admin kubeconfig pointing at the server host's address. */
  kubeconfig: string;
  dir: string;
  /** Runs a command inside a host's network namespace. */
  exec(host: Host, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  startNodeAgent(host: Host): Promise<void>;
  /** SIGKILLs a host's agent processes (its pods keep running, as on a real host whose agent crashed). */
  killNodeAgent(host: Host): Promise<void>;
  setLink(host: Host, up: boolean): Promise<void>;
  /** The pod processes a host runs now (one per running container), by pod name. */
  close(): Promise<void>;
}

function spawnIn(netns: string, args: string[], logFile: string): HostProcess {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, 'bin/k8ts.js', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, K8TS_LOG_LEVEL: process.env.K8TS_LOG_LEVEL ?? 'warn' } });
  let out = '';
  const keep = (d: Buffer): void => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  void exited.then(() => writeFile(logFile, out).catch(() => undefined));
  return { child, output: () => out, exited };
}

async function waitFor(p: HostProcess, ready: RegExp, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (ready.test(p.output())) {
        p.child.stdout!.off('data', check);
        p.child.stderr!.off('data', check);
        resolve();
      }
    };
    p.child.stdout!.on('data', check);
    p.child.stderr!.on('data', check);
    void p.exited.then((code) => reject(new Error(`${what} exited ${code}:\n${p.output().slice(-4000)}`)));
    check();
  });
}

/** A /24 in 10.199.0.0/16 that no route of this machine touches. */
async function freeSubnet(): Promise<number> {
  const routes = await runOk('ip', ['-4', 'route', 'show', 'table', 'all']);
  for (;;) {
    const x = 100 + (randomBytes(1)[0]! % 150);
    if (!routes.includes(`10.199.${x}.`)) return x;
  }
}

/** Processes whose command line holds `text` (pods carry their kubelet's root dir in theirs). */
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

// A test run stopped from outside (Ctrl-C, the runner's timeout) still takes its hosts down.
const open = new Set<() => Promise<void>>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void Promise.allSettled([...open].map((c) => c())).then(() => process.exit(130));
  });
}

export async function startMultiHostCluster(o: ClusterOptions): Promise<MultiHostCluster> {
  const sfx = randomBytes(3).toString('hex');
  const x = await freeSubnet();
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-multinode-'));
  const sw = `k8sw-${sfx}`;
  const uplink = `k8up-${sfx}`;
  const hosts: Host[] = [];
  let closing: Promise<void> | undefined;

  // Every caller (the test's after(), the signal handler) waits for the one clean-up to finish.
  const close = (): Promise<void> => (closing ??= takeDown());
  const takeDown = async (): Promise<void> => {
    open.delete(close);
    const all = hosts.flatMap((h) => h.procs);
    for (const p of all) if (p.child.exitCode === null) p.child.kill('SIGTERM');
    await Promise.race([Promise.all(all.map((p) => p.exited)), new Promise((r) => setTimeout(r, 15_000))]);
    for (const p of all) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(all.map((p) => p.exited));
    // Pods outlive their kubelet (a restarted one adopts them): end them, and anything left in the namespaces.
    for (let pass = 0; pass < 3; pass++) {
      // Everything the cluster ran names a path under its own temp dir: the server's kubelet keeps its
      // pods under its --data-dir, not under the host's --root-dir, and a pod's pause is in a netns of its own.
      const pids = new Set(processesMentioning(dir));
      for (const h of hosts) {
        const r = await run('ip', ['netns', 'pids', h.netns]);
        for (const pid of r.stdout.split('\n').filter(Boolean)) pids.add(Number(pid));
      }
      if (!pids.size) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
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
    if (!process.env.K8TS_KEEP_MULTINODE) await rm(dir, { recursive: true, force: true });
  };

  open.add(close);
  try {
    await runOk('ip', ['netns', 'add', sw]);
    await runOk('ip', ['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    await runOk('ip', ['-n', sw, 'link', 'set', 'br0', 'up']);
    await runOk('ip', ['link', 'add', uplink, 'type', 'veth', 'peer', 'name', 'up0', 'netns', sw]);
    await runOk('ip', ['-n', sw, 'link', 'set', 'up0', 'master', 'br0', 'up']);
    await runOk('ip', ['addr', 'add', `10.199.${x}.1/24`, 'dev', uplink]);
    await runOk('ip', ['link', 'set', uplink, 'up']);
    for (let i = 0; i < o.hosts; i++) {
      const name = `host${i}-${sfx}`;
      const netns = `k8h${i}-${sfx}`;
      const port = `h${i}`;
      const hdir = join(dir, name);
      await mkdir(hdir, { recursive: true });
      const h: Host = { index: i, name, netns, ip: `10.199.${x}.${10 + i}`, port, dir: hdir, rootDir: join(hdir, 'kubelet'), procs: [] };
      hosts.push(h);
      await runOk('ip', ['netns', 'add', netns]);
      await runOk('ip', ['-n', sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      await runOk('ip', ['-n', sw, 'link', 'set', port, 'master', 'br0', 'up']);
      await runOk('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
      await runOk('ip', ['-n', netns, 'addr', 'add', `${h.ip}/24`, 'dev', 'eth0']);
      await runOk('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
      // No default route (nothing may leave the test network); Service IPs still need a route before kube-proxy's DNAT.
      await runOk('ip', ['-n', netns, 'route', 'add', '10.0.0.0/24', 'dev', 'eth0']);
      // The namespace's own filter table: the machine's iptables are never touched.
      if (o.forwardPolicy) await runOk('ip', ['netns', 'exec', netns, 'iptables', '-w', '-P', 'FORWARD', o.forwardPolicy]);
    }
  } catch (err) {
    await close();
    throw err;
  }

  const server = hosts[0]!;
  const serverURL = `https://${server.ip}:${API_PORT}`;
  const kubeconfig = join(dir, 'admin.kubeconfig');

  const startNodeAgent = async (h: Host): Promise<void> => {
    const token = (await readFile(join(server.dir, 'data', 'node-token'), 'utf8')).trim();
    const tuning = (o.kubeletArgs ?? []).flatMap((a) => ['--kubelet-arg', a]);
    const agent = spawnIn(h.netns, ['agent', '--server', serverURL, '--token', token, '--node-name', h.name, '--runtime', 'exec', '--data-dir', h.dir, '--root-dir', h.rootDir, '--node-ip', h.ip, '--kubelet-port', '10250', '--flannel-backend', o.backend, '--min-sync-period', '200ms', '--kubelet-arg', 'resolv-conf=', ...tuning], join(h.dir, `agent-${h.procs.length}.log`));
    h.procs.push(agent);
    await waitFor(agent, /proxy: \S+ rules in place/, `k8ts agent of ${h.name}`);
  };

  const cluster: MultiHostCluster = {
    hosts,
    subnet: `10.199.${x}.0/24`,
    kubeconfig,
    dir,
    exec: (h, argv) => run('ip', ['netns', 'exec', h.netns, ...argv]),
    startNodeAgent,
    async killNodeAgent(h) {
      for (const p of h.procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await Promise.all(h.procs.map((p) => p.exited));
    },
    async setLink(h, up) {
      await runOk('ip', ['-n', sw, 'link', 'set', h.port, up ? 'up' : 'down']);
    },
    close,
  };

  try {
    const srv = spawnIn(server.netns, ['server', '--data-dir', join(server.dir, 'data'), '--port', String(API_PORT), '--bind-address', '0.0.0.0', '--runtime', 'exec', '--node-name', server.name, '--kubelet-port', '10250', '--disable-dns', ...(o.embeddedAgent ? [] : ['--disable-agent']), '--flannel-backend', o.backend, '--min-sync-period', '200ms', ...(o.serverArgs ?? [])], join(server.dir, 'server.log'));
    server.procs.push(srv);
    await waitFor(srv, /k8ts server is ready/, 'k8ts server');
    const admin = await readFile(join(server.dir, 'data', 'kubeconfig.yaml'), 'utf8');
    await writeFile(kubeconfig, admin.replace(/server: https:\/\/[^\s]+/, `server: ${serverURL}`));
    await until('the API server answers from the test network', async () => ((await kubectl(kubeconfig, ['get', '--raw', '/readyz'])).code === 0 ? true : undefined));
    const deferred = new Set(o.deferred ?? []);
    for (const h of o.embeddedAgent ? hosts.slice(1) : hosts) if (!deferred.has(h.index)) await startNodeAgent(h);
  } catch (err) {
    await close();
    throw err;
  }
  return cluster;
}

/** Node name → Ready status, from kubectl. */
export async function nodeReadiness(c: MultiHostCluster): Promise<Map<string, string>> {
  const out = await kubectlOk(c.kubeconfig, ['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
  return new Map(out.split('\n').filter(Boolean).map((l) => l.split('=') as [string, string]));
}

export { existsSync };
