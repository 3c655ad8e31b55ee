// ContainerRuntime over the Docker Engine API. Docker itself is the only
// state: sandboxes and containers are found again by their labels (scoped
// to this node's name), so a restarted kubelet adopts what is running.
import { mkdir, readlink, rm, symlink } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { dirname } from 'node:path';
import {
  LABEL_NODE_NAME,
  RuntimeError,
  type Container,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerRuntime,
  type ContainerStatus,
  type AttachOptions,
  type ExecOptions,
  type ImageInfo,
  type LogOptions,
  type PodSandbox,
  type PodSandboxConfig,
  type PodSandboxStatus,
  type PullProgress,
  type RuntimeVersion,
  type SandboxFilter,
} from '../interface.js';
import { logger } from '../../util/log.js';
import { DEFAULT_PAUSE_IMAGE, type PauseBuildOptions } from '../pause/rootfs.js';
import type { DockerContainerInspect, DockerContainerSummary, DockerVersion } from './api-types.js';
import { DockerApiError, DockerClient, endpointFromEnv, type DockerEndpoint } from './client.js';
import { containerCreateBody, containerFromSummary, containerStatusFromInspect } from './container.js';
import { isConflict, isNotFound, mapped } from './errors.js';
import { execInContainer } from './exec.js';
import { attachToContainer } from './attach.js';
import { portForward } from './portforward.js';
import * as images from './images.js';
import { LABEL_LOG_PATH, LABEL_SANDBOX_ID, LABEL_TYPE, TYPE_CONTAINER, TYPE_SANDBOX, labelFilters, sandboxMetadataFromLabels, unfold } from './labels.js';
import { containerLogs } from './logs.js';
import { containerName, randomizeName, sandboxName } from './naming.js';
import { ensurePauseImage } from './pause-image.js';
import { sandboxCreateBody, sandboxStatusFromInspect, writeResolvConf } from './sandbox.js';

const log = logger('runtime');

/** Seconds a stopping sandbox gives containers that are still running (the kubelet normally stopped them already). */
const SANDBOX_STOP_GRACE_SECONDS = 10;

export interface DockerRuntimeOptions {
  /** Written on every object as io.k8ts.node.name; lists only see this node's objects. */
  nodeName: string;
  /** Default: DOCKER_HOST, else /var/run/docker.sock. */
  endpoint?: DockerEndpoint;
  /** Default k8ts/pause:3.10, built locally when absent. */
  pauseImage?: string;
  /** Overrides for how a missing pause image is built (tests). */
  pauseBuild?: Omit<PauseBuildOptions, 'progress'>;
  /** Told about a pause image build that runPodSandbox starts. */
  pauseProgress?: PullProgress;
  /** The docker network of non-hostNetwork pods (default: bridge). */
  network?: string;
  /** oom_score_adj of pause containers (dockershim: -998); unset keeps docker's default. */
  sandboxOomScoreAdj?: number;
}

export class DockerRuntime implements ContainerRuntime {
  readonly client: DockerClient;
  readonly nodeName: string;
  readonly pauseImage: string;
  private readonly network: string;
  private pauseBuild: Promise<string> | undefined;
  private readonly pauseListeners = new Set<PullProgress>();

  constructor(private readonly opts: DockerRuntimeOptions) {
    if (!opts.nodeName) throw new RuntimeError('InvalidConfig', 'DockerRuntime needs a node name');
    this.client = new DockerClient(opts.endpoint ?? endpointFromEnv());
    this.nodeName = opts.nodeName;
    this.pauseImage = opts.pauseImage ?? DEFAULT_PAUSE_IMAGE;
    this.network = opts.network ?? 'bridge';
  }

  async version(): Promise<RuntimeVersion> {
    const v = await mapped('Unavailable', 'docker version', () => this.client.call<DockerVersion>('GET', '/version'));
    return { runtimeName: 'docker', runtimeVersion: v.Version, runtimeApiVersion: v.ApiVersion };
  }

  /**
   * Makes sure the sandbox image exists, building it when absent. Concurrent
   * callers share one build and all see its progress.
   */
  ensurePauseImage(progress?: PullProgress): Promise<string> {
    if (progress) this.pauseListeners.add(progress);
    this.pauseBuild ??= ensurePauseImage(this.client, this.pauseImage, {
      ...this.opts.pauseBuild,
      progress: (msg) => this.pauseListeners.forEach((fn) => fn(msg)),
    }).finally(() => {
      this.pauseBuild = undefined;
      this.pauseListeners.clear();
    });
    return this.pauseBuild;
  }

  // ---- sandboxes

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    await this.ensurePauseImage(this.opts.pauseProgress);
    await writeResolvConf(config);
    const body = sandboxCreateBody(config, {
      image: this.pauseImage,
      nodeName: this.nodeName,
      network: this.network,
      oomScoreAdj: this.opts.sandboxOomScoreAdj,
    });
    const id = await this.create(sandboxName(config.metadata), body);
    try {
      await this.client.call('POST', `/containers/${id}/start`);
    } catch (err) {
      // A sandbox that never started is useless to the kubelet; do not leave it behind.
      await this.client.call('DELETE', `/containers/${id}`, { query: { force: true, v: true } }).catch(() => {});
      throw new RuntimeError('StartFailed', `start sandbox for pod ${podRef(config)}: ${(err as Error).message}`);
    }
    log.info({ pod: podRef(config), sandbox: id }, 'sandbox started');
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    // CRI: stopping a sandbox stops whatever still runs in it; it is idempotent.
    const running = await this.listContainers({ podSandboxId: id, state: 'CONTAINER_RUNNING' });
    await Promise.all(running.map((c) => this.stopContainer(c.id, SANDBOX_STOP_GRACE_SECONDS).catch(ignoreNotFound)));
    await this.stopContainer(id, SANDBOX_STOP_GRACE_SECONDS).catch(ignoreNotFound);
  }

  async removePodSandbox(id: string): Promise<void> {
    const members = await this.listContainers({ podSandboxId: id });
    await Promise.all(members.map((c) => this.removeContainer(c.id)));
    await this.removeDockerContainer(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const inspect = await this.inspect(id);
    if (inspect.Config.Labels?.[LABEL_TYPE] !== TYPE_SANDBOX) throw new RuntimeError('NotFound', `no pod sandbox ${id}`);
    return sandboxStatusFromInspect(inspect, this.network);
  }

  async listPodSandboxes(filter: SandboxFilter = {}): Promise<PodSandbox[]> {
    const found = await this.list(TYPE_SANDBOX, filter.labelSelector, filter.id);
    const out: PodSandbox[] = found.map((c) => {
      const { labels, annotations } = unfold(c.Labels);
      return {
        id: c.Id,
        metadata: sandboxMetadataFromLabels(c.Labels),
        state: c.State === 'running' ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
        createdAt: c.Created * 1000,
        labels,
        annotations,
      };
    });
    return filter.state ? out.filter((s) => s.state === filter.state) : out;
  }

  // ---- images

  async pullImage(image: string, progress?: PullProgress): Promise<string> {
    // The sandbox image comes from no registry: "pulling" it means building it here.
    if (image === this.pauseImage) return this.ensurePauseImage(progress);
    return images.pullImage(this.client, image, progress);
  }

  imageStatus(image: string): Promise<ImageInfo | null> {
    return images.imageStatus(this.client, image);
  }

  removeImage(image: string): Promise<void> {
    return images.removeImage(this.client, image);
  }

  // ---- containers

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    // Independent reads, on the pod's start-up path: asked together.
    const [sandbox, image] = await Promise.all([this.inspect(podSandboxId), images.inspectImage(this.client, config.image)]);
    if (sandbox.Config.Labels?.[LABEL_TYPE] !== TYPE_SANDBOX) throw new RuntimeError('NotFound', `no pod sandbox ${podSandboxId}`);
    if (!image) throw new RuntimeError('ImageNotFound', `image ${JSON.stringify(config.image)} is not present on this node`);
    const resolvConf = await writeResolvConf(sandboxConfig);
    const body = containerCreateBody(config, {
      sandboxId: sandbox.Id,
      sandbox: sandboxConfig,
      image,
      nodeName: this.nodeName,
      resolvConf,
    });
    return this.create(containerName(config.metadata, sandboxConfig.metadata), body);
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.client.call('POST', `/containers/${encodeURIComponent(id)}/start`);
    } catch (err) {
      if (err instanceof DockerApiError && err.statusCode === 304) return;
      if (isNotFound(err)) throw new RuntimeError('NotFound', `no container ${id}`);
      throw new RuntimeError('StartFailed', `start container ${id}: ${(err as Error).message}`);
    }
    await this.linkLog(id);
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.client.call('POST', `/containers/${encodeURIComponent(id)}/stop`, {
        query: { t: Math.max(0, Math.round(timeoutSeconds)) },
      });
    } catch (err) {
      if (err instanceof DockerApiError && err.statusCode === 304) return;
      if (isNotFound(err)) throw new RuntimeError('NotFound', `no container ${id}`);
      throw new RuntimeError('Unavailable', `stop container ${id}: ${(err as Error).message}`);
    }
  }

  async removeContainer(id: string): Promise<void> {
    let logPath: string | undefined;
    try {
      logPath = (await this.inspect(id)).Config.Labels?.[LABEL_LOG_PATH];
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    await this.removeDockerContainer(id);
    if (logPath) await removeSymlink(logPath);
  }

  async listContainers(filter: ContainerFilter = {}): Promise<Container[]> {
    const selector = { ...filter.labelSelector };
    if (filter.podSandboxId) selector[LABEL_SANDBOX_ID] = filter.podSandboxId;
    const out = (await this.list(TYPE_CONTAINER, selector, filter.id)).map(containerFromSummary);
    return filter.state ? out.filter((c) => c.state === filter.state) : out;
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const inspect = await this.inspect(id);
    if (inspect.Config.Labels?.[LABEL_TYPE] !== TYPE_CONTAINER) throw new RuntimeError('NotFound', `no container ${id}`);
    return containerStatusFromInspect(inspect);
  }

  logs(containerId: string, opts: LogOptions, out: NodeJS.WritableStream, signal?: AbortSignal): Promise<void> {
    return containerLogs(this.client, containerId, opts, out, signal);
  }

  exec(containerId: string, opts: ExecOptions): Promise<number> {
    return execInContainer(this.client, containerId, opts);
  }

  attach(containerId: string, opts: AttachOptions): Promise<void> {
    return attachToContainer(this.client, containerId, opts);
  }

  async portForward(podSandboxId: string, port: number): Promise<Duplex> {
    const status = await this.podSandboxStatus(podSandboxId);
    const inspect = await this.inspect(podSandboxId);
    return portForward({ ip: status.ips[0], hostNetwork: status.hostNetwork, pid: inspect.State.Pid || undefined }, port);
  }

  async containerPid(id: string): Promise<number | undefined> {
    const inspect = await this.inspect(id);
    return inspect.State.Running && inspect.State.Pid > 0 ? inspect.State.Pid : undefined;
  }

  async close(): Promise<void> {
    this.client.close();
  }

  // ---- helpers

  private async inspect(id: string): Promise<DockerContainerInspect> {
    return mapped('Unavailable', `inspect container ${id}`, () =>
      this.client.call<DockerContainerInspect>('GET', `/containers/${encodeURIComponent(id)}/json`),
    );
  }

  /** Creates a container; a leftover with the same name gets a randomized name, as dockershim did. */
  private async create(name: string, body: Record<string, unknown>): Promise<string> {
    const post = (n: string): Promise<{ Id: string; Warnings?: string[] }> =>
      this.client.call('POST', '/containers/create', { query: { name: n }, body });
    try {
      let res;
      try {
        res = await post(name);
      } catch (err) {
        if (!isConflict(err)) throw err;
        log.warn({ name }, 'container name in use; creating under a randomized name');
        res = await post(randomizeName(name));
      }
      for (const warning of res.Warnings ?? []) log.warn({ name, warning }, 'docker create warning');
      return res.Id;
    } catch (err) {
      if (err instanceof DockerApiError && err.statusCode === 404) {
        throw new RuntimeError('ImageNotFound', `create ${name}: ${err.message}`);
      }
      throw new RuntimeError('CreateFailed', `create ${name}: ${(err as Error).message}`);
    }
  }

  private async removeDockerContainer(id: string): Promise<void> {
    try {
      await this.client.call('DELETE', `/containers/${encodeURIComponent(id)}`, { query: { force: true, v: true } });
    } catch (err) {
      if (isNotFound(err)) return;
      // Docker answers 409 while it is already removing the container.
      if (isConflict(err) && /already in progress/.test((err as Error).message)) return;
      throw new RuntimeError('Unavailable', `remove container ${id}: ${(err as Error).message}`);
    }
  }

  private async list(type: string, selector: Record<string, string> | undefined, id?: string): Promise<DockerContainerSummary[]> {
    const filters: Record<string, string[]> = {
      label: labelFilters({ ...selector, [LABEL_TYPE]: type, [LABEL_NODE_NAME]: this.nodeName }),
    };
    if (id) filters.id = [id];
    return mapped('Unavailable', 'list containers', () =>
      this.client.call<DockerContainerSummary[]>('GET', '/containers/json', {
        query: { all: true, filters: JSON.stringify(filters) },
      }),
    );
  }

  /**
   * Points the kubelet's log path at docker's json log, as dockershim did, so
   * the files under the kubelet's pod log directory lead to the real log.
   */
  private async linkLog(id: string): Promise<void> {
    try {
      const inspect = await this.inspect(id);
      const logPath = inspect.Config.Labels?.[LABEL_LOG_PATH];
      if (!logPath || !inspect.LogPath) return;
      await mkdir(dirname(logPath), { recursive: true });
      await removeSymlink(logPath);
      await symlink(inspect.LogPath, logPath);
    } catch (err) {
      log.warn({ container: id, err: (err as Error).message }, 'cannot link container log');
    }
  }
}

function podRef(config: PodSandboxConfig): string {
  return `${config.metadata.namespace}/${config.metadata.name}`;
}

function ignoreNotFound(err: unknown): void {
  if (!isNotFound(err)) throw err;
}

/** Removes a path only if it is a symlink: never a file the kubelet wrote itself. */
async function removeSymlink(path: string): Promise<void> {
  try {
    await readlink(path);
  } catch {
    return;
  }
  await rm(path, { force: true });
}
