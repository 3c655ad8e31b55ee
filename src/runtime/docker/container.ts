// A pod's container as a docker container: it joins the pause container's
// network and IPC namespaces, so the pod shares one IP and localhost. Pure
// translation to and from Docker payloads.
import type { Container, ContainerConfig, ContainerState, ContainerStatus, PodSandboxConfig } from '../interface.js';
import type { DockerContainerInspect, DockerContainerSummary, DockerImageInspect } from './api-types.js';
import { dockerTime } from './api-types.js';
import { LABEL_LOG_PATH, LABEL_SANDBOX_ID, containerLabels, containerMetadataFromLabels, unfold } from './labels.js';

/** The kubelet's default log rotation (containerLogMaxSize 10Mi, containerLogMaxFiles 5). */
const LOG_CONFIG = { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '5' } };

/**
 * Kubernetes semantics: command replaces the image's ENTRYPOINT and drops
 * its CMD; args replace CMD; with neither, the image's own pair runs.
 */
export function entrypointAndCmd(
  config: Pick<ContainerConfig, 'command' | 'args'>,
  image: DockerImageInspect['Config'],
): { Entrypoint: string[] | null; Cmd: string[] | null } {
  if (config.command.length) return { Entrypoint: config.command, Cmd: config.args };
  const Entrypoint = image?.Entrypoint ?? null;
  if (config.args.length) return { Entrypoint, Cmd: config.args };
  return { Entrypoint, Cmd: image?.Cmd ?? null };
}

export interface ContainerCreateOptions {
  sandboxId: string;
  sandbox: PodSandboxConfig;
  image: DockerImageInspect;
  nodeName: string;
  /** <podDir>/resolv.conf when the pod has a DNS config. */
  resolvConf?: string;
}

export function containerCreateBody(config: ContainerConfig, opts: ContainerCreateOptions): Record<string, unknown> {
  const { sandboxId, sandbox } = opts;
  const sc = config.securityContext ?? {};
  const res = config.resources ?? {};
  const binds = config.mounts.map((m) => `${m.hostPath}:${m.containerPath}${m.readOnly ? ':ro' : ''}`);
  if (opts.resolvConf && !config.mounts.some((m) => m.containerPath === '/etc/resolv.conf')) {
    binds.push(`${opts.resolvConf}:/etc/resolv.conf`);
  }
  const joinPod = `container:${sandboxId}`;
  return {
    Image: config.image,
    ...entrypointAndCmd(config, opts.image.Config),
    Env: config.env.map((e) => `${e.name}=${e.value}`),
    WorkingDir: config.workingDir || undefined,
    User: userSpec(sc.runAsUser, sc.runAsGroup),
    Labels: containerLabels({
      sandboxId,
      pod: sandbox.metadata,
      container: config.metadata,
      labels: config.labels,
      annotations: config.annotations,
      logPath: config.logPath,
      nodeName: opts.nodeName,
    }),
    Tty: !!config.tty,
    OpenStdin: !!config.stdin,
    StdinOnce: false,
    HostConfig: {
      NetworkMode: joinPod,
      IpcMode: joinPod,
      PidMode: sandbox.hostPID ? 'host' : config.pidTargetContainerId ? `container:${config.pidTargetContainerId}` : '',
      // With hostNetwork the pod also sees the node's hostname.
      UTSMode: sandbox.hostNetwork ? 'host' : '',
      Binds: binds,
      CpuShares: res.cpuShares,
      CpuQuota: res.cpuQuota,
      CpuPeriod: res.cpuPeriod,
      Memory: res.memoryLimitBytes,
      // Kubernetes containers get no swap on top of their memory limit.
      MemorySwap: res.memoryLimitBytes,
      Privileged: !!sc.privileged,
      ReadonlyRootfs: !!sc.readOnlyRootFilesystem,
      RestartPolicy: { Name: 'no' },
      Init: false,
      LogConfig: LOG_CONFIG,
    },
  };
}

function userSpec(uid: number | undefined, gid: number | undefined): string | undefined {
  if (uid === undefined) return gid === undefined ? undefined : `0:${gid}`;
  return gid === undefined ? String(uid) : `${uid}:${gid}`;
}

export function stateFromSummary(state: string): ContainerState {
  switch (state) {
    case 'running':
    case 'paused':
    case 'restarting':
      return 'CONTAINER_RUNNING';
    case 'created':
      return 'CONTAINER_CREATED';
    case 'exited':
    case 'dead':
      return 'CONTAINER_EXITED';
    default:
      return 'CONTAINER_UNKNOWN';
  }
}

export function imageRef(imageId: string): string {
  return imageId ? `docker://${imageId}` : '';
}

export function containerFromSummary(c: DockerContainerSummary): Container {
  const { labels, annotations } = unfold(c.Labels);
  return {
    id: c.Id,
    podSandboxId: c.Labels?.[LABEL_SANDBOX_ID] ?? '',
    metadata: containerMetadataFromLabels(c.Labels),
    image: c.Image,
    imageRef: imageRef(c.ImageID),
    state: stateFromSummary(c.State),
    createdAt: c.Created * 1000,
    labels,
    annotations,
  };
}

export function containerStatusFromInspect(inspect: DockerContainerInspect): ContainerStatus {
  const s = inspect.State;
  const createdAt = dockerTime(inspect.Created);
  let startedAt = dockerTime(s.StartedAt);
  let finishedAt = dockerTime(s.FinishedAt);
  let state: ContainerState;
  let reason = '';
  let message = '';
  if (s.Running || s.Paused || s.Restarting) {
    state = 'CONTAINER_RUNNING';
  } else if (finishedAt) {
    state = 'CONTAINER_EXITED';
    reason = s.OOMKilled ? 'OOMKilled' : s.ExitCode === 0 ? 'Completed' : 'Error';
    message = s.Error ?? '';
    // Docker records StartedAt after the process is already running, so a
    // process that exits at once can show FinishedAt < StartedAt: never report
    // a container as finished before it started.
    if (startedAt && finishedAt < startedAt) finishedAt = startedAt;
  } else if (s.ExitCode !== 0) {
    // Docker never ran the process (bad entrypoint, missing mount...): it
    // records the failure on a container that stays "created".
    state = 'CONTAINER_EXITED';
    reason = 'ContainerCannotRun';
    message = s.Error ?? '';
    startedAt = startedAt || createdAt;
    finishedAt = createdAt;
  } else if (s.Status === 'created') {
    state = 'CONTAINER_CREATED';
  } else {
    state = 'CONTAINER_UNKNOWN';
  }
  const labelsRaw = inspect.Config.Labels;
  const { labels, annotations } = unfold(labelsRaw);
  return {
    id: inspect.Id,
    podSandboxId: labelsRaw?.[LABEL_SANDBOX_ID] ?? '',
    metadata: containerMetadataFromLabels(labelsRaw),
    image: inspect.Config.Image,
    imageRef: imageRef(inspect.Image),
    state,
    createdAt,
    labels,
    annotations,
    startedAt,
    finishedAt,
    exitCode: s.ExitCode,
    reason,
    message,
    logPath: labelsRaw?.[LABEL_LOG_PATH] ?? '',
  };
}
