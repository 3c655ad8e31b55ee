import { createHash, randomBytes } from 'node:crypto';
import {
  LABEL_NODE_NAME,
  LABEL_POD_UID,
  RuntimeError,
  type Container,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerRuntime,
  type ContainerStatus,
  type ExecOptions,
  type ImageInfo,
  type LogOptions,
  type PodSandbox,
  type PodSandboxConfig,
  type PodSandboxStatus,
  type RuntimeVersion,
  type SandboxFilter,
} from '../interface.js';
import { IpPool } from './ip-pool.js';
import { execExitCode, fateOf } from './behaviour.js';
import { normalizeImage } from '../image-name.js';

export { normalizeImage };

// A container runtime with nothing behind it, as kubemark's and kwok's:
// sandboxes and containers are small records, a container "runs" until a
// timer derived from its command or annotations ends it, logs are made up
// from its lifecycle, and pod IPs come from a CIDR. One instance may back
// many nodes at once (the hollow-node harness): records are indexed by node
// and by pod uid, so a kubelet's relist touches only its own pods.

export interface FakeRuntimeOptions {
  /** Pod IPs come from here (default 10.244.0.0/16). */
  podCIDR?: string;
  /** Time between startContainer and the container running (default 0). */
  startDelayMs?: number;
  /** Time a pull takes (default 0). */
  pullDelayMs?: number;
  /** How long containers that exit on their own run (default 50 ms). */
  defaultRunMs?: number;
  /** Which images exist in the fake registry (default: all but names with "doesnotexist", "does-not-exist", "nonexistent" or "invalid"). */
  imageExists?: (image: string) => boolean;
  /** Images already on the "machine" at start. */
  preloadedImages?: string[];
}

interface SandboxRec {
  id: string;
  metadata: PodSandbox['metadata'];
  state: PodSandbox['state'];
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  hostNetwork: boolean;
  ip?: string;
  containers: Set<string>;
}

/** What listContainers reports, plus the fake's own bookkeeping. */
interface ContainerRec extends Container {
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  logPath: string;
  exitAfterMs?: number;
  fateCode: number;
  oom: boolean;
  timer?: NodeJS.Timeout;
  waiters?: (() => void)[];
}

const newId = (): string => randomBytes(16).toString('hex');

function defaultImageExists(image: string): boolean {
  return !/doesnotexist|does-not-exist|nonexistent|(^|\/)invalid/.test(image);
}

function matches(labels: Record<string, string>, selector?: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

function rfc3339Nano(ms: number): string {
  const iso = new Date(Math.floor(ms)).toISOString();
  const frac = String(Math.round((ms % 1000) * 1e6)).padStart(9, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}

export class FakeRuntime implements ContainerRuntime {
  private readonly sandboxes = new Map<string, SandboxRec>();
  private readonly containers = new Map<string, ContainerRec>();
  /** node name or pod uid -> ids; the two labels every kubelet lists by. */
  private readonly sandboxIndex = new Map<string, Set<string>>();
  private readonly containerIndex = new Map<string, Set<string>>();
  private readonly images = new Map<string, ImageInfo>();
  private readonly ips: IpPool;
  private closed = false;

  constructor(private readonly opts: FakeRuntimeOptions = {}) {
    this.ips = new IpPool(opts.podCIDR ?? '10.244.0.0/16');
    for (const img of opts.preloadedImages ?? []) this.addImage(img);
  }

  async version(): Promise<RuntimeVersion> {
    return { runtimeName: 'fake', runtimeVersion: '0.1.0', runtimeApiVersion: 'v1' };
  }

  // ---- indexes

  private index(map: Map<string, Set<string>>, labels: Record<string, string>, id: string, add: boolean): void {
    this.touch(labels);
    for (const key of [labels[LABEL_NODE_NAME] && `n/${labels[LABEL_NODE_NAME]}`, labels[LABEL_POD_UID] && `u/${labels[LABEL_POD_UID]}`]) {
      if (!key) continue;
      let set = map.get(key);
      if (add) {
        if (!set) map.set(key, (set = new Set()));
        set.add(id);
      } else if (set) {
        set.delete(id);
        if (set.size === 0) map.delete(key);
      }
    }
  }

  private candidates<T>(map: Map<string, Set<string>>, all: Map<string, T>, selector?: Record<string, string>): Iterable<T> {
    const key = selector?.[LABEL_POD_UID] ? `u/${selector[LABEL_POD_UID]}` : selector?.[LABEL_NODE_NAME] ? `n/${selector[LABEL_NODE_NAME]}` : undefined;
    if (!key) return all.values();
    const ids = map.get(key);
    const out: T[] = [];
    if (ids) for (const id of ids) out.push(all.get(id)!);
    return out;
  }

  /** Per node: how many times its sandboxes and containers changed (nodeGeneration). */
  private readonly generations = new Map<string, number>();

  private touch(labels: Record<string, string>): void {
    const node = labels[LABEL_NODE_NAME];
    if (node !== undefined) this.generations.set(node, (this.generations.get(node) ?? 0) + 1);
  }

  nodeGeneration(nodeName: string): number {
    return this.generations.get(nodeName) ?? 0;
  }

  // ---- sandboxes

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    this.assertOpen();
    const id = newId();
    const rec: SandboxRec = {
      id,
      metadata: { ...config.metadata },
      state: 'SANDBOX_READY',
      createdAt: Date.now(),
      labels: config.labels,
      annotations: config.annotations,
      hostNetwork: config.hostNetwork,
      ip: config.hostNetwork ? undefined : this.ips.allocate(),
      containers: new Set(),
    };
    this.sandboxes.set(id, rec);
    this.index(this.sandboxIndex, rec.labels, id, true);
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (!s) return;
    for (const cid of s.containers) this.exit(cid, 137, 'Error');
    if (s.state !== 'SANDBOX_NOTREADY') this.touch(s.labels);
    s.state = 'SANDBOX_NOTREADY';
    if (s.ip) this.ips.release(s.ip);
    s.ip = undefined;
  }

  async removePodSandbox(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (!s) return;
    await this.stopPodSandbox(id);
    for (const cid of [...s.containers]) await this.removeContainer(cid);
    this.index(this.sandboxIndex, s.labels, id, false);
    this.sandboxes.delete(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const s = this.sandbox(id);
    return { ...this.toSandbox(s), ips: s.ip && s.state === 'SANDBOX_READY' ? [s.ip] : [], hostNetwork: s.hostNetwork };
  }

  async listPodSandboxes(filter: SandboxFilter = {}): Promise<PodSandbox[]> {
    const out: PodSandbox[] = [];
    for (const s of this.candidates(this.sandboxIndex, this.sandboxes, filter.labelSelector)) {
      if (filter.id && s.id !== filter.id) continue;
      if (filter.state && s.state !== filter.state) continue;
      if (!matches(s.labels, filter.labelSelector)) continue;
      out.push(this.toSandbox(s));
    }
    return out;
  }

  private toSandbox(s: SandboxRec): PodSandbox {
    return { id: s.id, metadata: s.metadata, state: s.state, createdAt: s.createdAt, labels: s.labels, annotations: s.annotations };
  }

  private sandbox(id: string): SandboxRec {
    const s = this.sandboxes.get(id);
    if (!s) throw new RuntimeError('NotFound', `pod sandbox ${id} not found`);
    return s;
  }

  // ---- images

  private addImage(image: string): ImageInfo {
    const name = normalizeImage(image);
    const info: ImageInfo = { id: `sha256:${createHash('sha256').update(name).digest('hex')}`, repoTags: [name], size: 1_000_000 + (name.length * 7919) % 9_000_000 };
    this.images.set(name, info);
    return info;
  }

  async pullImage(image: string): Promise<string> {
    this.assertOpen();
    if (this.opts.pullDelayMs) await new Promise((r) => setTimeout(r, this.opts.pullDelayMs));
    const name = normalizeImage(image);
    if (!(this.opts.imageExists ?? defaultImageExists)(image)) {
      throw new RuntimeError('ImageNotFound', `failed to pull and unpack image "${name}": failed to resolve reference "${name}": ${name}: not found`);
    }
    return (this.images.get(name) ?? this.addImage(image)).id;
  }

  async imageStatus(image: string): Promise<ImageInfo | null> {
    return this.images.get(normalizeImage(image)) ?? null;
  }

  async removeImage(image: string): Promise<void> {
    this.images.delete(normalizeImage(image));
  }

  // ---- containers

  async createContainer(podSandboxId: string, config: ContainerConfig, _sandboxConfig: PodSandboxConfig): Promise<string> {
    this.assertOpen();
    const s = this.sandbox(podSandboxId);
    if (s.state !== 'SANDBOX_READY') throw new RuntimeError('CreateFailed', `pod sandbox ${podSandboxId} is not ready`);
    const img = this.images.get(normalizeImage(config.image));
    if (!img) throw new RuntimeError('CreateFailed', `no such image: ${config.image}`);
    const fate = fateOf(config, s.annotations, this.opts.defaultRunMs);
    const id = newId();
    const rec: ContainerRec = {
      id,
      podSandboxId,
      metadata: { ...config.metadata },
      image: img.repoTags[0]!,
      imageRef: img.id,
      state: 'CONTAINER_CREATED',
      createdAt: Date.now(),
      startedAt: 0,
      finishedAt: 0,
      exitCode: 0,
      reason: '',
      labels: config.labels,
      annotations: config.annotations,
      logPath: config.logPath,
      exitAfterMs: fate.exitAfterMs,
      fateCode: fate.exitCode,
      oom: fate.oom,
    };
    this.containers.set(id, rec);
    s.containers.add(id);
    this.index(this.containerIndex, rec.labels, id, true);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.container(id);
    if (c.state !== 'CONTAINER_CREATED') throw new RuntimeError('StartFailed', `container ${id} is not in created state`);
    if (this.opts.startDelayMs) await new Promise((r) => setTimeout(r, this.opts.startDelayMs));
    if (c.state !== 'CONTAINER_CREATED') return;
    c.state = 'CONTAINER_RUNNING';
    this.touch(c.labels);
    c.startedAt = Date.now();
    if (c.exitAfterMs !== undefined) {
      c.timer = setTimeout(() => this.exit(id, c.fateCode, c.oom ? 'OOMKilled' : c.fateCode === 0 ? 'Completed' : 'Error'), c.exitAfterMs);
      c.timer.unref();
    }
  }

  /** Ends a running container as if its process exited. */
  private exit(id: string, exitCode: number, reason: string): void {
    const c = this.containers.get(id);
    if (!c || c.state === 'CONTAINER_EXITED') return;
    clearTimeout(c.timer);
    c.timer = undefined;
    if (c.state === 'CONTAINER_CREATED') c.startedAt = 0;
    c.state = 'CONTAINER_EXITED';
    this.touch(c.labels);
    c.finishedAt = Date.now();
    c.exitCode = exitCode;
    c.reason = reason;
    for (const w of c.waiters?.splice(0) ?? []) w();
  }

  async stopContainer(id: string, _timeoutSeconds: number): Promise<void> {
    // A SIGTERM the fake process honours at once.
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `container ${id} not found`);
    this.exit(id, 0, 'Completed');
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    this.exit(id, 137, 'Error');
    this.sandboxes.get(c.podSandboxId)?.containers.delete(id);
    this.index(this.containerIndex, c.labels, id, false);
    this.containers.delete(id);
  }

  async listContainers(filter: ContainerFilter = {}): Promise<Container[]> {
    const out: Container[] = [];
    for (const c of this.candidates(this.containerIndex, this.containers, filter.labelSelector)) {
      if (filter.id && c.id !== filter.id) continue;
      if (filter.podSandboxId && c.podSandboxId !== filter.podSandboxId) continue;
      if (filter.state && c.state !== filter.state) continue;
      if (!matches(c.labels, filter.labelSelector)) continue;
      out.push(this.toContainer(c));
    }
    return out;
  }

  private toContainer(c: ContainerRec): Container {
    return {
      id: c.id,
      podSandboxId: c.podSandboxId,
      metadata: c.metadata,
      image: c.image,
      imageRef: c.imageRef,
      state: c.state,
      createdAt: c.createdAt,
      labels: c.labels,
      annotations: c.annotations,
    };
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const c = this.container(id);
    return { ...this.toContainer(c), startedAt: c.startedAt, finishedAt: c.finishedAt, exitCode: c.exitCode, reason: c.reason, message: '', logPath: c.logPath };
  }

  private container(id: string): ContainerRec {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `container ${id} not found`);
    return c;
  }

  // ---- logs and exec

  private logLines(c: ContainerRec): { ts: number; text: string }[] {
    const lines: { ts: number; text: string }[] = [];
    if (c.startedAt) lines.push({ ts: c.startedAt, text: `fake container ${c.metadata.name} started (image ${c.image}, attempt ${c.metadata.attempt})` });
    if (c.state === 'CONTAINER_EXITED' && c.startedAt) lines.push({ ts: c.finishedAt, text: `fake container ${c.metadata.name} exited with code ${c.exitCode}` });
    return lines;
  }

  async logs(containerId: string, opts: LogOptions, out: NodeJS.WritableStream, signal?: AbortSignal): Promise<void> {
    const c = this.container(containerId);
    let budget = opts.limitBytes ?? Infinity;
    const write = (l: { ts: number; text: string }): boolean => {
      if (opts.sinceMs !== undefined && l.ts < opts.sinceMs) return true;
      let line = (opts.timestamps ? `${rfc3339Nano(l.ts)} ${l.text}` : l.text) + '\n';
      if (line.length > budget) line = line.slice(0, budget);
      budget -= line.length;
      out.write(line);
      return budget > 0;
    };
    let lines = this.logLines(c);
    if (opts.tailLines !== undefined) lines = opts.tailLines <= 0 ? [] : lines.slice(-opts.tailLines);
    const written = lines.length;
    for (const l of lines) if (!write(l)) return;
    if (!opts.follow || c.state === 'CONTAINER_EXITED' || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      (c.waiters ??= []).push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
    if (signal?.aborted) return;
    for (const l of this.logLines(c).slice(opts.tailLines === undefined ? written : Math.max(written, 1))) if (!write(l)) return;
  }

  async exec(containerId: string, opts: ExecOptions): Promise<number> {
    const c = this.container(containerId);
    if (c.state !== 'CONTAINER_RUNNING') throw new RuntimeError('NotFound', `container ${containerId} is not running`);
    return execExitCode(opts.cmd);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.containers.values()) {
      clearTimeout(c.timer);
      for (const w of c.waiters?.splice(0) ?? []) w();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new RuntimeError('Unavailable', 'fake runtime is closed');
  }

  // ---- test hooks: what `docker kill` would do to real containers

  /** The container's process dies (default SIGKILL: exit 137). */
  killContainer(id: string, exitCode = 137, reason = exitCode === 0 ? 'Completed' : 'Error'): void {
    this.container(id);
    this.exit(id, exitCode, reason);
  }

  /** The pause process dies: the sandbox is no longer ready and its network is gone. */
  killSandbox(id: string): void {
    const s = this.sandbox(id);
    if (s.state !== 'SANDBOX_NOTREADY') this.touch(s.labels);
    s.state = 'SANDBOX_NOTREADY';
  }

  /** Counts for the hollow-node harness's footprint reports. */
  stats(): { sandboxes: number; containers: number; images: number } {
    return { sandboxes: this.sandboxes.size, containers: this.containers.size, images: this.images.size };
  }
}

export function createFakeRuntime(opts: FakeRuntimeOptions = {}): FakeRuntime {
  return new FakeRuntime(opts);
}
