// ContainerRuntime that runs each container's command as host processes:
// the embedded default when there is no Docker. As root a pod gets the
// isolation a pod should have (a pause process holding new PID, UTS, IPC,
// mount and network namespaces, a veth routed by the host with an IP from
// the podCIDR, cgroup limits); without root, containers are plain processes
// on the host network, and isolation() says so. State lives in JSON files
// under rootDir so a new instance adopts processes that kept running.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  RuntimeError,
  type AttachOptions,
  type Container,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerRuntime,
  type ContainerState,
  type ContainerStatus,
  type ExecOptions,
  type LogOptions,
  type PodSandbox,
  type PodSandboxConfig,
  type PodSandboxStatus,
  type RuntimeCondition,
  type RuntimeVersion,
  type SandboxFilter,
} from '../interface.js';
import { logger } from '../../util/log.js';
import { attachStreams, findTerminal, openStdin, stdinFifo } from './attach.js';
import { allocate } from './cidr.js';
import { relayDial, relaySocket, startRelay, tcpConnect } from './forward.js';
import { Cgroups, detectCgroups } from './cgroups.js';
import { containerArgv, containerEnv, resolveExecutable } from './command.js';
import { execIn } from './exec.js';
import { ExecImages } from './images.js';
import { exitFile, launch, prepareMountPoints, rawLog, readPgid } from './launch.js';
import { readExitStatus, settledExit } from './exit-status.js';
import { pumpStream, readCriLog } from './logs.js';
import { checkNoOverlap, defaultNetworkName, NodeNetwork } from './network.js';
import { startPause, stopPause } from './pause.js';
import { isAlive, processGroup, signal } from './proc.js';
import { StateDir, type ContainerRecord, type Isolation, type SandboxRecord } from './state.js';

const log = logger('runtime');

export const DEFAULT_POD_CIDR = '10.244.0.0/24';
/** How often running containers are checked for exit and their output turned into log lines. */
const MONITOR_MS = 200;
const SANDBOX_STOP_GRACE_SECONDS = 10;

export interface ExecRuntimeOptions {
  rootDir: string;
  nodeName: string;
  /** Pod IPs (namespaces isolation); default 10.244.0.0/24. Refused when it overlaps a network of this machine. */
  podCIDR?: string;
  /** MTU of the pods' veths (default: the kernel's, 1500); lower under a tunnel (the pod network's VXLAN). */
  podMTU?: number;
  /**
   * Without podCIDR: start with no pod network (NetworkReady=false) until
   * updatePodCIDR() hands over the Node's spec.podCIDR, as a CNI plugin fed
   * by node IPAM; pods with a network of their own wait until then.
   */
  awaitPodCIDR?: boolean;
  /** Name of the node's pod network (tags its rules and podCIDR route); default k8ts<hash of nodeName>. */
  networkName?: string;
  /** Default: namespaces as root (with unshare, nsenter and ip present), else host. */
  isolation?: Isolation;
  /** The address reported as pod IP under host isolation (default: the first non-loopback IPv4). */
  hostIP?: string;
}

const newId = (): string => randomBytes(16).toString('hex');
const cgroupName = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '_');

function matches(labels: Record<string, string>, selector?: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((d) => d && existsSync(join(d, bin)));
}

function firstHostIPv4(): string {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

export class ExecRuntime implements ContainerRuntime {
  readonly nodeName: string;
  readonly rootDir: string;
  private readonly mode: Isolation;
  private readonly modeReason: string;
  private readonly state: StateDir;
  private network?: NodeNetwork;
  private readonly networkName: string;
  private readonly cgroups?: Cgroups;
  private readonly images: ExecImages;
  private readonly hostIP: string;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly reservedIPs = new Set<string>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly tickWaiters = new Set<() => void>();
  /** Process groups of the exec sessions running in each container, ended with it. */
  private readonly sessions = new Map<string, Set<number>>();
  /** Containers whose exit is being recorded (leftovers killed, log completed). */
  private readonly exiting = new Map<string, Promise<void>>();
  private monitor?: NodeJS.Timeout;
  private closed = false;
  readonly ready: Promise<void>;

  constructor(private readonly opts: ExecRuntimeOptions) {
    if (!opts.nodeName) throw new RuntimeError('InvalidConfig', 'exec runtime needs a node name');
    this.nodeName = opts.nodeName;
    this.rootDir = opts.rootDir;
    this.state = new StateDir(opts.rootDir);
    this.images = new ExecImages(join(opts.rootDir, 'images.json'));
    this.hostIP = opts.hostIP ?? firstHostIPv4();
    this.networkName = opts.networkName ?? defaultNetworkName(opts.nodeName);
    const root = process.getuid?.() === 0;
    const tools = ['unshare', 'nsenter', 'ip'].filter((t) => !onPath(t));
    if (opts.isolation) {
      this.mode = opts.isolation;
      this.modeReason = `isolation ${opts.isolation} requested`;
    } else if (!root) {
      this.mode = 'host';
      this.modeReason = 'not running as root: containers are plain host processes on the host network, without pod namespaces or resource limits';
    } else if (tools.length) {
      this.mode = 'host';
      this.modeReason = `${tools.join(', ')} not found: containers are plain host processes on the host network`;
    } else {
      this.mode = 'namespaces';
      this.modeReason = 'each pod has its own PID, UTS, IPC, mount and network namespaces';
    }
    if (this.mode === 'namespaces') {
      if (opts.podCIDR || !opts.awaitPodCIDR) this.network = new NodeNetwork(opts.podCIDR ?? DEFAULT_POD_CIDR, this.networkName, opts.podMTU);
      const version = detectCgroups();
      if (version) this.cgroups = new Cgroups(version);
    }
    if (this.mode === 'host') log.warn({ node: this.nodeName, reason: this.modeReason }, 'exec runtime without pod isolation');
    this.ready = this.init();
    this.ready.catch(() => undefined);
  }

  /** How pods are isolated, for the kubelet's node condition and events. */
  isolation(): Isolation {
    return this.mode;
  }

  /** Why isolation() is what it is, in words for an event or condition message. */
  isolationMessage(): string {
    return this.modeReason;
  }

  private async init(): Promise<void> {
    await this.state.init();
    await this.images.load();
    if (this.network && !(await this.network.exists())) await checkNoOverlap(this.network.podCIDR, this.network.name);
    for (const s of await this.state.loadSandboxes()) {
      if (s.nodeName !== this.nodeName) continue;
      this.sandboxes.set(s.id, s);
      if (s.ip && !s.stoppedAt) this.reservedIPs.add(s.ip);
    }
    for (const c of await this.state.loadContainers()) {
      if (c.nodeName !== this.nodeName) continue;
      this.containers.set(c.id, c);
      if (c.startedAt && !c.supervisor && c.finishedAt === undefined) {
        // The last instance stopped in the middle of starting it: whatever it launched is not tracked.
        Object.assign(c, { finishedAt: c.startedAt, exitCode: 128, reason: 'Error', message: 'the runtime stopped while starting this container' });
      } else if (c.startedAt && c.finishedAt === undefined) {
        if (!this.checkExit(c)) log.info({ container: c.id, name: c.metadata.name, pid: c.main?.pid }, 'adopted running container');
      }
    }
    this.ensureMonitor();
  }

  private async live(): Promise<void> {
    if (this.closed) throw new RuntimeError('Unavailable', 'exec runtime is closed');
    await this.ready;
  }

  async version(): Promise<RuntimeVersion> {
    return { runtimeName: 'exec', runtimeVersion: '0.1.0', runtimeApiVersion: 'v1' };
  }

  private serial(key: string, fn: () => Promise<void>): Promise<void> {
    const next = (this.chains.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = next.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return next;
  }

  private saveSandbox(s: SandboxRecord): Promise<void> {
    return this.serial(`s/${s.id}`, () => (this.sandboxes.has(s.id) ? this.state.saveSandbox(s) : Promise.resolve()));
  }

  private saveContainer(c: ContainerRecord): Promise<void> {
    return this.serial(`c/${c.id}`, () => (this.containers.has(c.id) ? this.state.saveContainer(c) : Promise.resolve()));
  }

  // ---- sandboxes

  private sandboxReady(s: SandboxRecord): boolean {
    if (s.stoppedAt) return false;
    if (s.isolation === 'host') return true;
    return isAlive(s.holder) && isAlive(s.pause);
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    await this.live();
    const id = newId();
    const isolated = this.mode === 'namespaces';
    const s: SandboxRecord = {
      id,
      nodeName: this.nodeName,
      metadata: { ...config.metadata },
      labels: { ...config.labels },
      annotations: { ...config.annotations },
      createdAt: Date.now(),
      hostname: config.hostname,
      hostNetwork: config.hostNetwork,
      isolation: this.mode,
      namespaces: { pid: isolated && !config.hostPID, net: isolated && !config.hostNetwork, ipc: isolated && !config.hostIPC, uts: isolated && !config.hostNetwork },
    };
    const dir = this.state.sandboxDir(id);
    await mkdir(dir, { recursive: true });
    if (config.dnsConfig) {
      s.resolvConf = join(dir, 'resolv.conf');
      await writeFile(s.resolvConf, resolvConf(config.dnsConfig));
    }
    if (!isolated) {
      if (config.portMappings.some((m) => m.hostPort && m.hostPort !== m.containerPort) && !config.hostNetwork) {
        log.warn({ pod: `${config.metadata.namespace}/${config.metadata.name}` }, 'host isolation: containers listen on the host network, so a hostPort other than its containerPort is not mapped');
      }
      if (!config.hostNetwork) s.ip = this.hostIP;
      this.sandboxes.set(id, s);
      await this.saveSandbox(s);
      return id;
    }
    if (s.namespaces.net) {
      if (!this.network) throw new RuntimeError('CreateFailed', 'network plugin is not ready: the node has no podCIDR yet (the exec runtime takes it from the Node\'s spec.podCIDR)');
      const ip = allocate(this.network!.cidr, this.reservedIPs);
      if (!ip) throw new RuntimeError('CreateFailed', `no free pod IP left in ${this.network!.podCIDR}`);
      this.reservedIPs.add(ip);
      s.ip = ip;
    }
    try {
      if (this.cgroups) {
        s.cgroup = `k8ts/${cgroupName(this.nodeName)}/${id}`;
        await this.cgroups.create(s.cgroup, config.resources);
      }
      const { holder, pause } = await startPause({ rootDir: this.rootDir, sandboxDir: dir, hostname: config.hostname, namespaces: s.namespaces });
      s.holder = holder;
      s.pause = pause;
      this.sandboxes.set(id, s);
      if (s.ip) s.veth = await this.network!.attach(holder.pid, id, s.ip);
      if (s.ip && config.portMappings.some((m) => m.hostPort)) {
        s.hostPorts = config.portMappings.filter((m) => m.hostPort);
        await this.network!.addHostPorts(id, s.ip, s.hostPorts);
      }
      await this.saveSandbox(s);
    } catch (err) {
      if (s.hostPorts) await this.network!.removeHostPorts(id);
      await stopPause(s.pause, s.holder, 0);
      if (s.ip) this.reservedIPs.delete(s.ip);
      if (s.cgroup) await this.cgroups!.remove(s.cgroup);
      this.sandboxes.delete(id);
      await rm(dir, { recursive: true, force: true });
      if (err instanceof RuntimeError) throw err;
      throw new RuntimeError('StartFailed', `pod sandbox ${config.metadata.namespace}/${config.metadata.name}: ${(err as Error).message}`);
    }
    log.info({ pod: `${config.metadata.namespace}/${config.metadata.name}`, sandbox: id, ip: s.ip, pid: s.pause?.pid }, 'sandbox started');
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.live();
    const s = this.sandboxes.get(id);
    if (!s) return;
    const members = [...this.containers.values()].filter((c) => c.sandboxId === id && this.stateOf(c) === 'CONTAINER_RUNNING');
    await Promise.all(members.map((c) => this.stopContainer(c.id, SANDBOX_STOP_GRACE_SECONDS).catch(() => undefined)));
    await stopPause(s.pause, s.holder);
    if (isAlive(s.relay)) signal(s.relay!.pid, 'SIGKILL');
    if (s.hostPorts) await this.network?.removeHostPorts(id);
    if (s.veth) await this.network?.detach(s.veth);
    // Only the first stop frees the address: a later one (removePodSandbox stops again) must not free it
    // once a newer sandbox holds it.
    if (s.ip && s.isolation === 'namespaces' && !s.stoppedAt) this.reservedIPs.delete(s.ip);
    s.stoppedAt ??= Date.now();
    await this.saveSandbox(s);
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.live();
    const s = this.sandboxes.get(id);
    if (!s) return;
    await this.stopPodSandbox(id);
    for (const c of [...this.containers.values()]) if (c.sandboxId === id) await this.removeContainer(c.id);
    if (s.cgroup) await this.cgroups?.remove(s.cgroup);
    this.sandboxes.delete(id);
    await this.serial(`s/${id}`, () => this.state.removeSandbox(id));
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    await this.live();
    const s = this.sandbox(id);
    const sb = this.toSandbox(s);
    return { ...sb, ips: sb.state === 'SANDBOX_READY' && s.ip ? [s.ip] : [], hostNetwork: s.hostNetwork };
  }

  async listPodSandboxes(filter: SandboxFilter = {}): Promise<PodSandbox[]> {
    await this.live();
    const out: PodSandbox[] = [];
    for (const s of this.sandboxes.values()) {
      if (filter.id && s.id !== filter.id) continue;
      if (!matches(s.labels, filter.labelSelector)) continue;
      const sb = this.toSandbox(s);
      if (filter.state && sb.state !== filter.state) continue;
      out.push(sb);
    }
    return out;
  }

  private toSandbox(s: SandboxRecord): PodSandbox {
    return { id: s.id, metadata: s.metadata, state: this.sandboxReady(s) ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY', createdAt: s.createdAt, labels: s.labels, annotations: s.annotations };
  }

  private sandbox(id: string): SandboxRecord {
    const s = this.sandboxes.get(id);
    if (!s) throw new RuntimeError('NotFound', `pod sandbox ${id} not found`);
    return s;
  }

  // ---- images: there is no registry; an image is a name for what the process is

  async pullImage(image: string): Promise<string> {
    await this.live();
    return this.images.pull(image);
  }

  async imageStatus(image: string) {
    await this.live();
    return this.images.status(image);
  }

  async removeImage(image: string): Promise<void> {
    await this.live();
    await this.images.remove(image);
  }

  // ---- containers

  async createContainer(podSandboxId: string, config: ContainerConfig, _sandboxConfig: PodSandboxConfig): Promise<string> {
    await this.live();
    const s = this.sandbox(podSandboxId);
    if (!this.sandboxReady(s)) throw new RuntimeError('CreateFailed', `pod sandbox ${podSandboxId} is not ready`);
    const argv = containerArgv(config);
    const id = newId();
    const imageRef = (await this.images.status(config.image))?.id ?? (await this.images.pull(config.image));
    const image = await this.images.status(config.image);
    const c: ContainerRecord = {
      id,
      sandboxId: podSandboxId,
      nodeName: this.nodeName,
      metadata: { ...config.metadata },
      image: image?.repoTags[0] ?? config.image,
      imageRef,
      labels: { ...config.labels },
      annotations: { ...config.annotations },
      logPath: config.logPath,
      createdAt: Date.now(),
      argv,
      env: containerEnv(config.env),
      workingDir: config.workingDir,
      mounts: config.mounts,
      resources: config.resources,
      securityContext: config.securityContext,
      logOffsets: { stdout: 0, stderr: 0 },
      createdMountPoints: [],
      stdin: config.stdin === true,
      stdinOnce: config.stdin === true && config.stdinOnce === true,
      tty: config.tty === true,
    };
    if (this.cgroups && s.cgroup) {
      c.cgroup = `${s.cgroup}/${id}`;
      try {
        await this.cgroups.create(c.cgroup, config.resources);
      } catch (err) {
        await this.cgroups.remove(c.cgroup, s.cgroup);
        throw new RuntimeError('CreateFailed', `cgroup for container ${config.metadata.name}: ${(err as Error).message}`);
      }
    }
    this.containers.set(id, c);
    await this.saveContainer(c);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    await this.live();
    const c = this.container(id);
    if (c.startedAt) throw new RuntimeError('StartFailed', `container ${id} was already started`);
    const s = this.sandbox(c.sandboxId);
    if (!this.sandboxReady(s)) throw new RuntimeError('StartFailed', `pod sandbox ${c.sandboxId} is not ready`);
    resolveExecutable(c.argv[0]!, c.env);
    const isolated = s.isolation === 'namespaces';
    if (!isolated && c.mounts.length) log.warn({ container: c.metadata.name, mounts: c.mounts.length }, 'host isolation: volume mounts are not applied (they need a private mount namespace)');
    const mounts = isolated ? [...c.mounts] : [];
    // The pod's resolv.conf over the host's, in the container's own mount namespace (Docker does the same).
    if (isolated && s.resolvConf && existsSync('/etc/resolv.conf') && !mounts.some((m) => m.containerPath === '/etc/resolv.conf')) {
      mounts.push({ hostPath: s.resolvConf, containerPath: '/etc/resolv.conf', readOnly: false });
    }
    const dir = this.state.containerDir(id);
    let launched;
    c.startedAt = Date.now();
    try {
      c.createdMountPoints = await prepareMountPoints(mounts);
      // A tty needs something to read from even without stdin: a FIFO no client ever writes to.
      if (c.stdin || c.tty) {
        c.stdinHolder = await openStdin(dir);
        await this.saveContainer(c);
      }
      launched = await launch({
        containerDir: dir,
        name: c.metadata.name,
        argv: c.argv,
        env: c.tty && !c.env.some((e) => e.name === 'TERM') ? [...c.env, { name: 'TERM', value: 'xterm' }] : c.env,
        stdinPath: c.stdinHolder ? stdinFifo(dir) : undefined,
        tty: c.tty,
        workingDir: c.workingDir,
        cgroupProcs: c.cgroup && this.cgroups ? this.cgroups.procsFiles(c.cgroup) : [],
        mounts,
        runAs: c.securityContext?.runAsUser !== undefined || c.securityContext?.runAsGroup !== undefined ? { uid: c.securityContext.runAsUser, gid: c.securityContext.runAsGroup } : undefined,
        enter: isolated ? this.enterArgs(s) : [],
      });
    } catch (err) {
      c.startedAt = undefined;
      if (c.stdinHolder) signal(c.stdinHolder.pid, 'SIGKILL');
      c.stdinHolder = undefined;
      throw new RuntimeError('StartFailed', `start container ${c.metadata.name}: ${(err as Error).message}`);
    }
    c.supervisor = launched.supervisor;
    c.main = launched.main;
    await this.saveContainer(c);
    launched.onExit(() => this.checkExit(c));
    this.ensureMonitor();
  }

  /** nsenter into the pod's namespaces, then a mount namespace of the container's own (for its volumes and a /proc of the pod). */
  private enterArgs(s: SandboxRecord): string[] {
    const ns = s.namespaces;
    const holder = String(s.holder!.pid);
    const args = ['nsenter', '-t', holder];
    if (ns.uts) args.push('-u');
    if (ns.ipc) args.push('-i');
    if (ns.net) args.push('-n');
    if (ns.pid) args.push(`--pid=/proc/${holder}/ns/pid_for_children`);
    args.push('--', 'unshare', '--mount', '--propagation', 'private');
    if (ns.pid) args.push('--mount-proc');
    args.push('--');
    return args;
  }

  private stateOf(c: ContainerRecord): ContainerState {
    if (c.finishedAt !== undefined) return 'CONTAINER_EXITED';
    if (!c.startedAt) return 'CONTAINER_CREATED';
    return this.checkExit(c) ? 'CONTAINER_EXITED' : 'CONTAINER_RUNNING';
  }

  /** Processes of the container: its cgroup, else the command's process group. */
  private members(c: ContainerRecord): number[] {
    if (c.cgroup && this.cgroups) return this.cgroups.procs(c.cgroup);
    const s = this.sandboxes.get(c.sandboxId);
    // The supervisor's view of the pgid is a host pid only when it shares the host's PID namespace.
    const pgid = s?.namespaces.pid ? c.main?.pid : (readPgid(this.state.containerDir(c.id)) ?? c.main?.pid);
    return pgid ? processGroup(pgid, c.supervisor?.startTime) : [];
  }

  /** Records the exit as soon as the supervisor wrote a status or died; true once the container has exited. */
  private checkExit(c: ContainerRecord): boolean {
    if (c.finishedAt !== undefined) return true;
    // Not started, or start is still launching it.
    if (!c.startedAt || !c.supervisor) return false;
    const file = exitFile(this.state.containerDir(c.id));
    const supervisor = c.supervisor;
    const status = settledExit(() => readExitStatus(file), () => isAlive(supervisor));
    if (status === 'running') return false;
    let code = status?.code;
    const at = status?.at;
    if (code === undefined) {
      code = 137;
      c.message = c.killed ? '' : 'the container process ended without reporting an exit status (its pod sandbox died or it was killed)';
    }
    c.exitCode = code;
    c.finishedAt = Math.floor(at ?? Date.now());
    const oom = !!(c.cgroup && this.cgroups?.oomKilled(c.cgroup));
    c.reason = oom ? 'OOMKilled' : code === 0 ? 'Completed' : 'Error';
    const done = this.afterExit(c).finally(() => this.exiting.delete(c.id));
    this.exiting.set(c.id, done);
    return true;
  }

  /** No orphan outlives its container: whatever it left in its cgroup or process group is killed; the log is completed. */
  private async afterExit(c: ContainerRecord): Promise<void> {
    // Its stdin and exec sessions end with it, as they do in Docker.
    this.closeStdin(c);
    for (const pgid of this.sessions.get(c.id) ?? []) signal(-pgid, 'SIGKILL');
    for (let i = 0; i < 100; i++) {
      const left = this.members(c);
      if (!left.length) break;
      for (const pid of left) signal(pid, 'SIGKILL');
      await sleep(10);
    }
    await this.pump(c, true);
    await this.saveContainer(c).catch((err: unknown) => log.warn({ container: c.id, err: (err as Error).message }, 'cannot save container state'));
  }

  private closeStdin(c: ContainerRecord): void {
    if (c.stdinHolder && isAlive(c.stdinHolder)) signal(c.stdinHolder.pid, 'SIGKILL');
  }

  private pump(c: ContainerRecord, final: boolean): Promise<void> {
    return this.serial(`l/${c.id}`, async () => {
      if (!this.containers.has(c.id)) return;
      const dir = this.state.containerDir(c.id);
      const before = c.logOffsets.stdout + c.logOffsets.stderr;
      c.logOffsets.stdout = await pumpStream(rawLog(dir, 'stdout'), 'stdout', c.logOffsets.stdout, c.logPath, final);
      c.logOffsets.stderr = await pumpStream(rawLog(dir, 'stderr'), 'stderr', c.logOffsets.stderr, c.logPath, final);
      if (!final && c.logOffsets.stdout + c.logOffsets.stderr !== before) await this.saveContainer(c);
    });
  }

  /** The monitor never keeps the process alive on its own account, only while someone follows a log. */
  private ensureMonitor(): void {
    if (this.closed) return;
    this.monitor ??= setInterval(() => void this.tick(), MONITOR_MS);
    if (this.tickWaiters.size) this.monitor.ref();
    else this.monitor.unref();
  }

  private async tick(): Promise<void> {
    const running = [...this.containers.values()].filter((c) => c.startedAt && c.finishedAt === undefined);
    await Promise.all(running.map((c) => (this.checkExit(c) ? undefined : this.pump(c, false))));
    for (const w of [...this.tickWaiters]) w();
    if (running.length === 0 && this.tickWaiters.size === 0 && this.monitor) {
      clearInterval(this.monitor);
      this.monitor = undefined;
    } else this.monitor?.[this.tickWaiters.size ? 'ref' : 'unref']();
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await this.live();
    const c = this.container(id);
    if (this.stateOf(c) !== 'CONTAINER_RUNNING') return;
    const terminate = (): boolean => {
      const pids = this.members(c);
      for (const pid of pids) signal(pid, 'SIGTERM');
      return pids.length > 0;
    };
    let terminated = terminate();
    const deadline = Date.now() + Math.max(0, timeoutSeconds) * 1000;
    while (!this.checkExit(c) && Date.now() < deadline) {
      await sleep(20);
      // Just after its start a container may not have made its process group yet (setsid runs after
      // the started mark): nothing was signalled, so it is asked again once its group exists, rather
      // than left running until the grace period ends in SIGKILL (a 137 where a 143 was due).
      if (!terminated) terminated = terminate();
    }
    if (!this.checkExit(c)) {
      c.killed = true;
      await this.saveContainer(c);
      for (let i = 0; i < 1000 && !this.checkExit(c); i++) {
        for (const pid of this.members(c)) signal(pid, 'SIGKILL');
        await sleep(10);
      }
    }
    await this.serial(`c/${c.id}`, async () => undefined);
  }

  async removeContainer(id: string): Promise<void> {
    await this.live();
    const c = this.containers.get(id);
    if (!c) return;
    if (this.stateOf(c) === 'CONTAINER_RUNNING') await this.stopContainer(id, 0);
    await this.afterExitSettled(c);
    this.closeStdin(c);
    this.sessions.delete(id);
    this.containers.delete(id);
    if (c.cgroup) await this.cgroups?.remove(c.cgroup, this.sandboxes.get(c.sandboxId)?.cgroup ?? '');
    for (const p of [...c.createdMountPoints].reverse()) await removeEmpty(p);
    await this.serial(`c/${id}`, () => this.state.removeContainer(id));
  }

  private async afterExitSettled(c: ContainerRecord): Promise<void> {
    await this.exiting.get(c.id);
    await this.chains.get(`l/${c.id}`);
    await this.chains.get(`c/${c.id}`);
  }

  async listContainers(filter: ContainerFilter = {}): Promise<Container[]> {
    await this.live();
    const out: Container[] = [];
    for (const c of this.containers.values()) {
      if (filter.id && c.id !== filter.id) continue;
      if (filter.podSandboxId && c.sandboxId !== filter.podSandboxId) continue;
      if (!matches(c.labels, filter.labelSelector)) continue;
      const ct = this.toContainer(c);
      if (filter.state && ct.state !== filter.state) continue;
      out.push(ct);
    }
    return out;
  }

  private toContainer(c: ContainerRecord): Container {
    return {
      id: c.id,
      podSandboxId: c.sandboxId,
      metadata: c.metadata,
      image: c.image,
      imageRef: c.imageRef,
      state: this.stateOf(c),
      createdAt: c.createdAt,
      labels: c.labels,
      annotations: c.annotations,
    };
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    await this.live();
    const c = this.container(id);
    const ct = this.toContainer(c);
    return {
      ...ct,
      startedAt: c.startedAt ?? 0,
      finishedAt: c.finishedAt ?? 0,
      exitCode: c.exitCode ?? 0,
      reason: c.reason ?? '',
      message: c.message ?? '',
      logPath: c.logPath,
    };
  }

  private container(id: string): ContainerRecord {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `container ${id} not found`);
    return c;
  }

  async logs(containerId: string, opts: LogOptions, out: NodeJS.WritableStream, signal?: AbortSignal): Promise<void> {
    await this.live();
    const c = this.container(containerId);
    if (c.startedAt && c.finishedAt === undefined) await this.pump(c, false);
    await this.afterExitSettled(c);
    const source = {
      running: (): boolean => this.containers.has(c.id) && this.stateOf(c) === 'CONTAINER_RUNNING',
      changed: (sig?: AbortSignal): Promise<void> =>
        new Promise<void>((resolve) => {
          const done = (): void => {
            this.tickWaiters.delete(done);
            sig?.removeEventListener('abort', done);
            resolve();
          };
          this.tickWaiters.add(done);
          sig?.addEventListener('abort', done, { once: true });
          this.ensureMonitor();
        }).then(() => this.afterExitSettled(c)),
    };
    await readCriLog(c.logPath, opts, out, source, signal);
  }

  async exec(containerId: string, opts: ExecOptions): Promise<number> {
    await this.live();
    const c = this.container(containerId);
    if (this.stateOf(c) !== 'CONTAINER_RUNNING') throw new RuntimeError('NotFound', `container ${containerId} is not running`);
    const s = this.sandbox(c.sandboxId);
    const argv = containerArgv({ metadata: c.metadata, image: c.image, command: opts.cmd, args: [], env: [], mounts: [], labels: {}, annotations: {}, logPath: '' });
    // Never run an isolated pod's command on the host: without its process there is nothing to enter.
    if (s.isolation === 'namespaces' && !(c.main && isAlive(c.main))) throw new RuntimeError('NotFound', `container ${containerId} has no running process to exec in`);
    return execIn({
      argv,
      env: c.env,
      workingDir: c.workingDir,
      target: s.isolation === 'namespaces' && c.main ? { pid: c.main.pid, namespaces: s.namespaces } : undefined,
      cgroupProcs: c.cgroup && this.cgroups ? this.cgroups.procsFiles(c.cgroup) : [],
      runAs: c.securityContext?.runAsUser !== undefined || c.securityContext?.runAsGroup !== undefined ? { uid: c.securityContext.runAsUser, gid: c.securityContext.runAsGroup } : undefined,
      io: opts,
      sessions: this.sessionsOf(c.id),
    });
  }

  private sessionsOf(id: string): Set<number> {
    let set = this.sessions.get(id);
    if (!set) this.sessions.set(id, (set = new Set()));
    return set;
  }

  async attach(containerId: string, opts: AttachOptions): Promise<void> {
    await this.live();
    const c = this.container(containerId);
    if (this.stateOf(c) !== 'CONTAINER_RUNNING') throw new RuntimeError('NotFound', `container ${containerId} is not running`);
    const dir = this.state.containerDir(c.id);
    const stdinOpen = !!c.stdin && !c.stdinClosed && isAlive(c.stdinHolder);
    await attachStreams(
      {
        dir,
        stdin: stdinOpen ? stdinFifo(dir) : undefined,
        stdinEnded: () => {
          if (!stdinOpen || !c.stdinOnce || c.stdinClosed) return;
          // stdinOnce: the first client is gone, so the command's stdin closes for good.
          c.stdinClosed = true;
          this.closeStdin(c);
          void this.saveContainer(c).catch(() => undefined);
        },
        terminal: c.tty ? () => findTerminal(this.members(c)) : undefined,
        exited: () => !this.containers.has(c.id) || this.stateOf(c) !== 'CONTAINER_RUNNING',
        changed: (sig) => this.nextTick(sig),
      },
      opts,
    );
  }

  /** Resolves after the monitor's next look at the containers (or when `sig` aborts). */
  private nextTick(sig?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.tickWaiters.delete(done);
        sig?.removeEventListener('abort', done);
        resolve();
      };
      if (this.closed || sig?.aborted) return resolve();
      this.tickWaiters.add(done);
      sig?.addEventListener('abort', done, { once: true });
      this.ensureMonitor();
    });
  }

  /**
   * A TCP connection into the sandbox's network: the pod IP when it has a network namespace of its own,
   * else the host's loopback (the pod shares the host's network).
   */
  async portForward(podSandboxId: string, port: number): Promise<Duplex> {
    await this.live();
    const s = this.sandbox(podSandboxId);
    if (!this.sandboxReady(s)) throw new RuntimeError('NotFound', `pod sandbox ${podSandboxId} is not ready`);
    const own = s.namespaces.net && s.ip;
    try {
      return await tcpConnect(own ? s.ip! : '127.0.0.1', port);
    } catch (err) {
      // Refused on the pod IP: something may listen on the pod's own loopback, reachable only from inside.
      if (!own || (err as NodeJS.ErrnoException).code !== 'ECONNREFUSED') throw err;
      const inside = await this.relayConnect(s, port).catch(() => undefined);
      if (inside) return inside;
      throw err;
    }
  }

  private readonly relayStarts = new Map<string, Promise<void>>();

  /** A connection to 127.0.0.1:port inside the pod, through its relay (started on first use). */
  private async relayConnect(s: SandboxRecord, port: number): Promise<Duplex> {
    if (!isAlive(s.relay)) {
      let start = this.relayStarts.get(s.id);
      if (!start) {
        start = this.startRelay(s).finally(() => this.relayStarts.delete(s.id));
        this.relayStarts.set(s.id, start);
      }
      await start;
    }
    return relayDial(relaySocket(this.state.sandboxDir(s.id)), port);
  }

  private async startRelay(s: SandboxRecord): Promise<void> {
    s.relay = await startRelay(s.holder!.pid, relaySocket(this.state.sandboxDir(s.id)));
    await this.saveSandbox(s);
  }

  /** CRI's Status, with the isolation this runtime gives pods as a condition of its own. */
  async status(): Promise<{ conditions: RuntimeCondition[] }> {
    await this.live();
    const isolated = this.mode === 'namespaces';
    return {
      conditions: [
        { type: 'RuntimeReady', status: true, reason: '', message: '' },
        this.mode === 'namespaces' && !this.network
          ? { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'Network plugin returns error: the node has no podCIDR yet' }
          : { type: 'NetworkReady', status: true, reason: '', message: '' },
        { type: 'PodIsolation', status: isolated, reason: isolated ? 'PodNamespaces' : 'NoPodIsolation', message: this.modeReason },
      ],
    };
  }

  /** The pod network in use (undefined until the Node's podCIDR is known, or without pod namespaces). */
  podCIDR(): string | undefined {
    return this.network?.podCIDR;
  }

  /**
   * CRI's UpdateRuntimeConfig: the Node's spec.podCIDR. Taken when the runtime
   * has no pod network yet, or has one no live pod uses (its route is
   * readdressed); pods already holding addresses keep the network they have.
   */
  async updatePodCIDR(cidr: string): Promise<void> {
    await this.live();
    if (this.mode !== 'namespaces' || this.network?.podCIDR === cidr) return;
    await this.serial('network', async () => {
      if (this.network?.podCIDR === cidr) return;
      if (this.network) {
        const inUse = [...this.sandboxes.values()].some((s) => s.ip && !s.stoppedAt);
        if (inUse) {
          log.warn({ node: this.nodeName, podCIDR: this.network.podCIDR, nodePodCIDR: cidr }, 'the Node\'s podCIDR differs from the pod network in use; keeping it until no pod uses it');
          return;
        }
        await this.network.removeNetwork();
      }
      this.network = new NodeNetwork(cidr, this.networkName, this.opts.podMTU);
      if (!(await this.network.exists())) await checkNoOverlap(cidr, this.networkName);
      log.info({ node: this.nodeName, podCIDR: cidr }, 'pod network set from the Node\'s podCIDR');
    });
  }

  async containerPid(id: string): Promise<number | undefined> {
    await this.live();
    const c = this.container(id);
    return this.stateOf(c) === 'CONTAINER_RUNNING' && c.main && isAlive(c.main) ? c.main.pid : undefined;
  }

  /** Leaves containers running (a new instance adopts them); removes the node's pod network once no pod is left. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.ready.catch(() => undefined);
    await Promise.all([...this.containers.values()].filter((c) => c.startedAt && c.finishedAt === undefined).map((c) => this.pump(c, false).catch(() => undefined)));
    this.closed = true;
    if (this.monitor) clearInterval(this.monitor);
    this.monitor = undefined;
    for (const w of [...this.tickWaiters]) w();
    await Promise.all([...this.exiting.values(), ...this.chains.values()]);
    if (this.sandboxes.size === 0) {
      // Even with the podCIDR route gone, the FORWARD rule and hostPort chain may remain: removeNetwork takes each that exists.
      if (this.network) await this.network.removeNetwork();
      if (this.cgroups) await this.cgroups.remove(`k8ts/${cgroupName(this.nodeName)}`);
    }
  }
}

/** Removes a mount point this runtime created (a directory tree of empty directories, or an empty file), never anything put there since. */
async function removeEmpty(path: string): Promise<boolean> {
  try {
    const st = await stat(path);
    if (!st.isDirectory()) {
      if (st.size !== 0) return false;
      await unlink(path);
      return true;
    }
    let empty = true;
    for (const name of await readdir(path)) if (!(await removeEmpty(join(path, name)))) empty = false;
    if (empty) await rmdir(path);
    return empty;
  } catch {
    return false;
  }
}

/** A resolv.conf from CRI's DNSConfig, in the order containerd writes it. */
export function resolvConf(dns: NonNullable<PodSandboxConfig['dnsConfig']>): string {
  const lines: string[] = [];
  if (dns.searches.length) lines.push(`search ${dns.searches.join(' ')}`);
  for (const ns of dns.servers) lines.push(`nameserver ${ns}`);
  if (dns.options.length) lines.push(`options ${dns.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

export function createExecRuntime(opts: ExecRuntimeOptions): ExecRuntime {
  return new ExecRuntime(opts);
}

