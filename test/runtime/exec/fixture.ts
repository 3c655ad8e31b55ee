// Shared setup for the exec runtime suites: a runtime over a temp root dir
// with a node name, pod network and podCIDR of its own (suites run in parallel),
// config builders, a poll helper, and a clean-up that removes every pod and
// then asserts nothing is left: processes, veths, the podCIDR route, the
// network's iptables rules, cgroups, mounts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PassThrough } from 'node:stream';
import type { ContainerConfig, PodSandboxConfig } from '../../../src/runtime/interface.js';
import { createExecRuntime, type ExecRuntime, type ExecRuntimeOptions } from '../../../src/runtime/exec/index.js';
import { defaultNetworkName, networkMetric } from '../../../src/runtime/exec/network.js';

export const isRoot = process.getuid?.() === 0;

/** Whether the pod network `name`'s podCIDR route (`unreachable`, with the network's metric) is in the host's table. */
export function podNetworkRouted(name: string): boolean {
  try {
    const routes = JSON.parse(execFileSync('ip', ['-4', '-j', 'route', 'show', 'type', 'unreachable'], { encoding: 'utf8' }) || '[]') as { metric?: number }[];
    return routes.some((r) => r.metric === networkMetric(name));
  } catch {
    return false;
  }
}

export interface Fixture {
  runtime: ExecRuntime;
  nodeName: string;
  dir: string;
  podCIDR: string;
  /** Name of the runtime's pod network (defaultNetworkName). */
  network: string;
  /** A fresh runtime over the same root dir (a restarted kubelet). */
  reopen(extra?: Partial<ExecRuntimeOptions>): ExecRuntime;
  sandboxConfig(name: string, extra?: Partial<PodSandboxConfig>): PodSandboxConfig;
  containerConfig(name: string, command: string[], extra?: Partial<ContainerConfig>): ContainerConfig;
  waitState(id: string, state: string, rt?: ExecRuntime): Promise<void>;
  exec(id: string, cmd: string[], rt?: ExecRuntime): Promise<{ code: number; out: string; err: string }>;
  leftovers(): string[];
  cleanup(): Promise<void>;
}

/** Polls until fn is truthy; gives up after two minutes so that a stuck condition fails the test instead of hanging the run. */
export async function until<T>(fn: () => T | Promise<T>, pauseMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`condition not reached in 120 s: ${fn.toString().slice(0, 200)}`);
    await sleep(pauseMs);
  }
}

/** Which processes have this text in their command line (ours carry the root dir in theirs). */
export function processesMentioning(text: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmd.includes(text)) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Processes with a file descriptor on something under `dir` (a stdin FIFO holder, a log writer). */
export function processesHolding(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${name}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${name}/fd/${fd}`).startsWith(dir)) {
          out.push(Number(name));
          break;
        }
      } catch {
        // closed meanwhile
      }
    }
  }
  return out;
}

export async function setupFixture(suite: string, subnet: number, opts: Partial<ExecRuntimeOptions> = {}): Promise<Fixture> {
  const suffix = randomBytes(3).toString('hex');
  const nodeName = `exec-${suite}-${suffix}`;
  const dir = await mkdtemp(join(tmpdir(), `k8ts-exec-${suite}-`));
  const podCIDR = `10.244.${subnet}.0/24`;
  const base: ExecRuntimeOptions = { rootDir: join(dir, 'runtime'), nodeName, podCIDR, ...opts };
  let runtime = createExecRuntime(base);
  const network = defaultNetworkName(nodeName);
  const sandboxes = new Set<string>();

  const fx: Fixture = {
    get runtime() {
      return runtime;
    },
    nodeName,
    dir,
    podCIDR,
    network,
    reopen(extra = {}) {
      runtime = createExecRuntime({ ...base, ...extra });
      return runtime;
    },
    sandboxConfig(name, extra = {}) {
      const uid = `uid-${name}-${randomBytes(3).toString('hex')}`;
      return {
        metadata: { name, namespace: 'default', uid, attempt: 0 },
        hostname: name,
        hostNetwork: false,
        portMappings: [],
        labels: { app: name },
        annotations: {},
        podDir: join(dir, 'pods', uid),
        ...extra,
      };
    },
    containerConfig(name, command, extra = {}) {
      return {
        metadata: { name, attempt: 0 },
        image: 'busybox',
        command,
        args: [],
        env: [],
        mounts: [],
        labels: { 'io.kubernetes.container.name': name },
        annotations: {},
        logPath: join(dir, 'logs', `${name}-${randomBytes(3).toString('hex')}.log`),
        ...extra,
      };
    },
    async waitState(id, state, rt = runtime) {
      await until(async () => (await rt.containerStatus(id)).state === state);
    },
    async exec(id, cmd, rt = runtime) {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = '';
      let err = '';
      stdout.on('data', (d: Buffer) => (out += d.toString()));
      stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await rt.exec(id, { cmd, stdout, stderr });
      return { code, out, err };
    },
    leftovers() {
      const found: string[] = [];
      for (const pid of processesMentioning(dir)) found.push(`process ${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`);
      if (podNetworkRouted(network)) found.push(`podCIDR route of ${network}`);
      for (const link of readdirSync('/sys/class/net')) if (link.startsWith('kv') && [...sandboxes].some((id) => link === `kv${id.slice(0, 12)}`)) found.push(`veth ${link}`);
      for (const ctl of ['cpu', 'memory', 'pids', '']) {
        const p = join('/sys/fs/cgroup', ctl, 'k8ts', nodeName);
        if (existsSync(p)) found.push(`cgroup ${p}`);
      }
      for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) if (line.includes(dir)) found.push(`mount ${line}`);
      for (const pid of processesHolding(dir)) found.push(`process ${pid} holding a file under the runtime dir: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`);
      try {
        const rules = execFileSync('iptables', ['-S', 'FORWARD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        if (rules.includes(network)) found.push(`iptables rule for ${network}`);
        const nat = execFileSync('iptables', ['-t', 'nat', '-S'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        for (const line of nat.split('\n')) if (line.includes(network)) found.push(`iptables nat: ${line}`);
      } catch {
        // no iptables: nothing to leave behind
      }
      return found;
    },
    async cleanup() {
      for (const s of await runtime.listPodSandboxes()) await runtime.removePodSandbox(s.id);
      await runtime.close();
      const left = fx.leftovers();
      await rm(dir, { recursive: true, force: true });
      assert.deepEqual(left, [], 'the exec runtime left things behind');
    },
  };
  // Remember every sandbox id (through reopen too) so leftover veths can be named.
  const track = (rt: ExecRuntime): void => {
    const run = rt.runPodSandbox.bind(rt);
    rt.runPodSandbox = async (cfg) => {
      const id = await run(cfg);
      sandboxes.add(id);
      return id;
    };
  };
  track(runtime);
  const reopen = fx.reopen;
  fx.reopen = (extra) => {
    const rt = reopen(extra);
    track(rt);
    return rt;
  };
  return fx;
}
