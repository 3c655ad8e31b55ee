// The pod sandbox as a docker container: the pause container owns the pod's
// network (bridge IP, published hostPorts) and a shareable IPC namespace that
// the pod's containers join. Pure translation to and from Docker payloads.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PodSandboxConfig, PodSandboxStatus, PortMapping, SandboxState } from '../interface.js';
import type { DockerContainerInspect } from './api-types.js';
import { dockerTime } from './api-types.js';
import { sandboxLabels, sandboxMetadataFromLabels, unfold } from './labels.js';

/** Dockershim's value: the pause container needs almost no CPU. */
const SANDBOX_CPU_SHARES = 2;

export interface SandboxCreateOptions {
  image: string;
  nodeName: string;
  /** The docker network non-hostNetwork pods attach to. */
  network: string;
  /**
   * Dockershim used -998 so the OOM killer picks the pause container last;
   * lowering it needs CAP_SYS_RESOURCE, which sandboxed dockerds lack, so
   * it is only set when asked for.
   */
  oomScoreAdj?: number;
}

export function sandboxCreateBody(config: PodSandboxConfig, opts: SandboxCreateOptions): Record<string, unknown> {
  const { exposedPorts, portBindings } = portsAndBindings(config.portMappings);
  return {
    Image: opts.image,
    Hostname: config.hostname || undefined,
    Labels: sandboxLabels({
      metadata: config.metadata,
      labels: config.labels,
      annotations: config.annotations,
      nodeName: opts.nodeName,
    }),
    ExposedPorts: exposedPorts,
    HostConfig: {
      NetworkMode: config.hostNetwork ? 'host' : opts.network,
      // Docker's default is a private IPC namespace that others may not join.
      IpcMode: config.hostIPC ? 'host' : 'shareable',
      PidMode: config.hostPID ? 'host' : '',
      PortBindings: config.hostNetwork ? {} : portBindings,
      CpuShares: SANDBOX_CPU_SHARES,
      OomScoreAdj: opts.oomScoreAdj,
      RestartPolicy: { Name: 'no' },
      // The pause program must be PID 1 itself, even where dockerd defaults to --init.
      Init: false,
      LogConfig: { Type: 'json-file', Config: {} },
    },
  };
}

function portsAndBindings(mappings: PortMapping[]): {
  exposedPorts: Record<string, object>;
  portBindings: Record<string, { HostIp: string; HostPort: string }[]>;
} {
  const exposedPorts: Record<string, object> = {};
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const m of mappings) {
    const key = `${m.containerPort}/${(m.protocol ?? 'TCP').toLowerCase()}`;
    exposedPorts[key] = {};
    // A containerPort without hostPort is only declared, as with Kubernetes.
    if (!m.hostPort) continue;
    (portBindings[key] ??= []).push({ HostIp: m.hostIp ?? '', HostPort: String(m.hostPort) });
  }
  return { exposedPorts, portBindings };
}

export function resolvConfPath(podDir: string): string {
  return join(podDir, 'resolv.conf');
}

export function resolvConf(dns: NonNullable<PodSandboxConfig['dnsConfig']>): string {
  const lines = dns.servers.map((s) => `nameserver ${s}`);
  if (dns.searches.length) lines.push(`search ${dns.searches.join(' ')}`);
  if (dns.options.length) lines.push(`options ${dns.options.join(' ')}`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/**
 * Writes <podDir>/resolv.conf from the pod's DNS config; returns its path,
 * or undefined when the pod has none (docker's own resolv.conf is kept).
 */
export async function writeResolvConf(config: PodSandboxConfig): Promise<string | undefined> {
  if (!config.dnsConfig || !config.podDir) return undefined;
  const content = resolvConf(config.dnsConfig);
  if (!content) return undefined;
  await mkdir(config.podDir, { recursive: true });
  const path = resolvConfPath(config.podDir);
  await writeFile(path, content, { mode: 0o644 });
  return path;
}

export function sandboxState(inspect: DockerContainerInspect): SandboxState {
  return inspect.State.Running ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY';
}

export function sandboxStatusFromInspect(inspect: DockerContainerInspect, network: string): PodSandboxStatus {
  const hostNetwork = inspect.HostConfig.NetworkMode === 'host';
  const { labels, annotations } = unfold(inspect.Config.Labels);
  return {
    id: inspect.Id,
    metadata: sandboxMetadataFromLabels(inspect.Config.Labels),
    state: sandboxState(inspect),
    createdAt: dockerTime(inspect.Created),
    labels,
    annotations,
    ips: hostNetwork || !inspect.State.Running ? [] : podIPs(inspect, network),
    hostNetwork,
  };
}

/** IPv4 first, then a global IPv6 address, from the pod's network or docker's summary fields. */
function podIPs(inspect: DockerContainerInspect, network: string): string[] {
  const settings = inspect.NetworkSettings;
  const endpoint = settings?.Networks?.[network] ?? Object.values(settings?.Networks ?? {})[0];
  const v4 = endpoint?.IPAddress || settings?.IPAddress;
  const v6 = endpoint?.GlobalIPv6Address || settings?.GlobalIPv6Address;
  return [v4, v6].filter((ip): ip is string => !!ip);
}
