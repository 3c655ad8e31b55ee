// The container-runtime seam, shaped like the CRI (k8s.io/cri-api
// RuntimeService + ImageService): the kubelet drives pods only through
// this interface, and docker/, exec/ and fake/ implement it. Every object a
// runtime creates carries the pod's namespace, name, uid and the node's name
// as labels, so a restarted kubelet finds its own sandboxes and containers
// again and adopts them.
import type { Duplex } from 'node:stream';

export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
export const LABEL_NODE_NAME = 'io.k8ts.node.name';
/** Marks the pause ("root") container / process of a pod. */
export const LABEL_SANDBOX = 'io.k8ts.sandbox';

export interface PodSandboxMetadata {
  name: string;
  namespace: string;
  uid: string;
  /** Incremented each time the kubelet recreates the sandbox of the same pod. */
  attempt: number;
}

export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort?: number;
  hostIp?: string;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname: string;
  /** Share the host's network namespace (spec.hostNetwork). */
  hostNetwork: boolean;
  /** Share the host's PID namespace (spec.hostPID). */
  hostPID?: boolean;
  hostIPC?: boolean;
  portMappings: PortMapping[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  dnsConfig?: { servers: string[]; searches: string[]; options: string[] };
  /** Directory under the kubelet root dir for this pod's files (volumes, logs). */
  podDir: string;
  /** cgroup parent / resource totals for the whole pod. */
  resources?: LinuxResources;
}

export type SandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: SandboxState;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PodSandboxStatus extends PodSandbox {
  /** The pod IP(s); empty with hostNetwork (the kubelet reports the node IP). */
  ips: string[];
  hostNetwork: boolean;
}

export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
  /** Bind-propagation etc. are not modelled; subPath is resolved by the kubelet into hostPath. */
}

export interface LinuxResources {
  /** CPU shares (requests), quota/period (limits), memory limit in bytes. */
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  memoryLimitBytes?: number;
}

export interface ContainerConfig {
  metadata: { name: string; attempt: number };
  image: string;
  /** Entrypoint override (container.command), already $(VAR)-expanded. */
  command: string[];
  /** container.args, already expanded. */
  args: string[];
  workingDir?: string;
  env: { name: string; value: string }[];
  mounts: Mount[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Where the runtime keeps this container's log (CRI log format for exec/fake; docker keeps its own). */
  logPath: string;
  stdin?: boolean;
  /** With stdin: close the container's stdin when the first attached client disconnects (CRI's stdin_once). */
  stdinOnce?: boolean;
  tty?: boolean;
  resources?: LinuxResources;
  securityContext?: { runAsUser?: number; runAsGroup?: number; privileged?: boolean; readOnlyRootFilesystem?: boolean };
  /**
   * CRI's NamespaceMode TARGET: join this container's PID namespace (an ephemeral container's
   * targetContainerName). A runtime whose pods already share one PID namespace ignores it.
   */
  pidTargetContainerId?: string;
}

export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: { name: string; attempt: number };
  image: string;
  imageRef: string;
  state: ContainerState;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStatus extends Container {
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  /** e.g. 'Completed', 'Error', 'OOMKilled', 'ContainerCannotRun' as the CRI reports them. */
  reason: string;
  message: string;
  logPath: string;
}

export interface ContainerFilter {
  id?: string;
  podSandboxId?: string;
  state?: ContainerState;
  labelSelector?: Record<string, string>;
}

export interface SandboxFilter {
  id?: string;
  state?: SandboxState;
  labelSelector?: Record<string, string>;
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  size: number;
}

export interface ExecOptions {
  cmd: string[];
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  tty?: boolean;
  /** Terminal size changes while a tty session runs. */
  resize?: AsyncIterable<{ width: number; height: number }>;
  /** The client's terminal size when the session opened: the tty has it before the command runs. */
  initialSize?: { width: number; height: number };
}

export interface AttachOptions {
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  tty?: boolean;
  resize?: AsyncIterable<{ width: number; height: number }>;
  /** Aborted when the client hangs up: attach then detaches (the container keeps running). */
  signal?: AbortSignal;
}

/** One of CRI's RuntimeStatus conditions (RuntimeReady, NetworkReady, or one of the runtime's own). */
export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

export interface RuntimeVersion {
  /** 'docker', 'exec', 'fake': the scheme of nodeInfo.containerRuntimeVersion. */
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface LogOptions {
  follow?: boolean;
  tailLines?: number;
  /** Only lines at or after this time (ms since epoch). */
  sinceMs?: number;
  timestamps?: boolean;
  limitBytes?: number;
}

/** Progress of a long pull, so a person watching sees it move. */
export type PullProgress = (message: string) => void;

export interface ContainerRuntime {
  version(): Promise<RuntimeVersion>;

  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  stopPodSandbox(id: string): Promise<void>;
  removePodSandbox(id: string): Promise<void>;
  podSandboxStatus(id: string): Promise<PodSandboxStatus>;
  listPodSandboxes(filter?: SandboxFilter): Promise<PodSandbox[]>;

  /** Throws RuntimeError 'ImageNotFound' / 'PullFailed' with the runtime's own message. */
  pullImage(image: string, progress?: PullProgress): Promise<string>;
  imageStatus(image: string): Promise<ImageInfo | null>;
  removeImage(image: string): Promise<void>;

  createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after timeoutSeconds. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  listContainers(filter?: ContainerFilter): Promise<Container[]>;
  containerStatus(id: string): Promise<ContainerStatus>;

  /**
   * Writes the container's log to `out`: each line `<RFC3339Nano> <stream> <text>` when
   * timestamps is set, else the text alone. Follow keeps writing until the container
   * exits or `signal` aborts. Works for exited containers (kubectl logs --previous).
   */
  logs(containerId: string, opts: LogOptions, out: NodeJS.WritableStream, signal?: AbortSignal): Promise<void>;

  /** Runs a command in a running container; resolves with its exit code. */
  exec(containerId: string, opts: ExecOptions): Promise<number>;
  /**
   * Connects to a running container's main process: its stdin (if the container was
   * created with stdin), stdout and stderr, as `kubectl attach`. Resolves when the
   * client's streams end or the container exits. Optional: a runtime without it
   * answers attach requests with an error that says so.
   */
  attach?(containerId: string, opts: AttachOptions): Promise<void>;
  /**
   * Opens a TCP connection to `port` inside the sandbox's network namespace, as
   * upstream's PortForward: the kubelet pipes it to the client's stream. Rejects
   * with the system's error (e.g. ECONNREFUSED) when nothing listens there.
   */
  portForward?(podSandboxId: string, port: number): Promise<Duplex>;
  /**
   * CRI's Status: conditions the kubelet reports on the Node beyond RuntimeReady/NetworkReady
   * (e.g. the exec runtime's PodIsolation when it cannot isolate pods). Optional.
   */
  status?(): Promise<{ conditions: RuntimeCondition[] }>;
  /**
   * CRI's UpdateRuntimeConfig: the kubelet hands over the Node's spec.podCIDR
   * once the API server has one (node IPAM). Optional.
   */
  updatePodCIDR?(cidr: string): Promise<void>;
  /** Host process id of a container's main process (for probes, stats), if it has one. */
  containerPid?(id: string): Promise<number | undefined>;
  /**
   * A number that changes whenever a sandbox or container of this node is added, removed or
   * changes state, so the PLEG can skip a relist that would find nothing new. Optional: a
   * runtime whose processes may die unseen (Docker, exec) is relisted every period.
   */
  nodeGeneration?(nodeName: string): number;

  close(): Promise<void>;
}

export type RuntimeErrorCode = 'ImageNotFound' | 'PullFailed' | 'CreateFailed' | 'StartFailed' | 'NotFound' | 'Unavailable' | 'InvalidConfig';

export class RuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}
