import { createHash } from 'node:crypto';
import { podDnsConfig, type DnsSettings, type DnsWarn } from './dns.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseQuantity } from '../../api/quantity.js';
import {
  LABEL_CONTAINER_NAME,
  LABEL_NODE_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  type ContainerConfig,
  type LinuxResources,
  type Mount,
  type PodSandboxConfig,
  type PortMapping,
} from '../../runtime/interface.js';
import type { Container, Pod } from '../api-types.js';

// The runtime-facing configs of a pod's sandbox and containers, as
// upstream's generatePodSandboxConfig and generateContainerConfig: labels
// that let a restarted kubelet find its objects again, the spec hash that
// tells when a container must be replaced, resources in cgroup units.

export const ANNOTATION_CONTAINER_HASH = 'io.kubernetes.container.hash';
export const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const ANNOTATION_TERMINATION_GRACE = 'io.kubernetes.pod.terminationGracePeriod';

const MIN_SHARES = 2;
const SHARES_PER_CPU = 1024;
const QUOTA_PERIOD = 100_000;
const MIN_QUOTA = 1000;

export function podLabels(pod: Pod, nodeName: string): Record<string, string> {
  return {
    [LABEL_POD_NAME]: pod.metadata.name ?? '',
    [LABEL_POD_NAMESPACE]: pod.metadata.namespace ?? 'default',
    [LABEL_POD_UID]: pod.metadata.uid ?? '',
    [LABEL_NODE_NAME]: nodeName,
  };
}

export function sandboxConfig(pod: Pod, nodeName: string, rootDir: string, attempt: number, dns?: { settings: DnsSettings; warn: DnsWarn }): PodSandboxConfig {
  const portMappings: PortMapping[] = [];
  for (const c of pod.spec.containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      portMappings.push({ protocol: p.protocol ?? 'TCP', containerPort: p.containerPort, hostPort: p.hostPort, ...(p.hostIP ? { hostIp: p.hostIP } : {}) });
    }
  }
  const podDns = pod.spec.dnsConfig as { nameservers?: string[]; searches?: string[]; options?: { name: string; value?: string }[] } | undefined;
  const cfg: PodSandboxConfig = {
    metadata: { name: pod.metadata.name ?? '', namespace: pod.metadata.namespace ?? 'default', uid: pod.metadata.uid ?? '', attempt },
    hostname: pod.spec.hostNetwork ? nodeName : (pod.spec.hostname ?? pod.metadata.name ?? '').slice(0, 63),
    hostNetwork: pod.spec.hostNetwork === true,
    hostPID: pod.spec.hostPID === true,
    hostIPC: pod.spec.hostIPC === true,
    portMappings,
    labels: { ...(pod.metadata.labels ?? {}), ...podLabels(pod, nodeName) },
    annotations: { ...(pod.metadata.annotations ?? {}) },
    podDir: join(rootDir, 'pods', pod.metadata.uid ?? ''),
  };
  if (dns) {
    cfg.dnsConfig = podDnsConfig(pod as Parameters<typeof podDnsConfig>[0], dns.settings, dns.warn);
  } else if (podDns && (podDns.nameservers?.length || podDns.searches?.length || podDns.options?.length)) {
    // Without the kubelet's DNS settings (hollow nodes, bare tests) only the pod's own dnsConfig applies.
    cfg.dnsConfig = { servers: podDns.nameservers ?? [], searches: podDns.searches ?? [], options: (podDns.options ?? []).map((o) => (o.value ? `${o.name}:${o.value}` : o.name)) };
  }
  return cfg;
}

/** A stable hash of the container spec: a changed spec (a new image) means a new container. */
export function containerHash(c: Container): string {
  return createHash('sha256').update(JSON.stringify(c)).digest('hex').slice(0, 8);
}

function quantity(v: string | number | undefined): ReturnType<typeof parseQuantity> | undefined {
  if (v === undefined) return undefined;
  try {
    return parseQuantity(v);
  } catch {
    return undefined;
  }
}

export function linuxResources(c: Container): LinuxResources {
  const req = quantity(c.resources?.requests?.cpu);
  const lim = quantity(c.resources?.limits?.cpu);
  const mem = quantity(c.resources?.limits?.memory);
  const milli = req && !req.isZero() ? req.milliValue() : lim ? lim.milliValue() : 0;
  const r: LinuxResources = { cpuShares: Math.max(MIN_SHARES, Math.floor((milli * SHARES_PER_CPU) / 1000)) };
  if (lim && !lim.isZero()) {
    r.cpuPeriod = QUOTA_PERIOD;
    r.cpuQuota = Math.max(MIN_QUOTA, Math.floor((lim.milliValue() * QUOTA_PERIOD) / 1000));
  }
  if (mem && !mem.isZero()) r.memoryLimitBytes = mem.value();
  return r;
}

export function logPath(rootDir: string, pod: Pod, containerName: string, attempt: number): string {
  return join(rootDir, 'logs', `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`, containerName, `${attempt}.log`);
}

export interface BuildContainerOptions {
  pod: Pod;
  container: Container;
  attempt: number;
  nodeName: string;
  rootDir: string;
  imageRef: string;
  env: { name: string; value: string }[];
  command: string[];
  args: string[];
  mounts: Mount[];
}

export function containerConfig(o: BuildContainerOptions): ContainerConfig {
  const { pod, container } = o;
  const sc = container.securityContext;
  return {
    metadata: { name: container.name, attempt: o.attempt },
    image: container.image ?? o.imageRef,
    command: o.command,
    args: o.args,
    ...(container.workingDir ? { workingDir: container.workingDir } : {}),
    env: o.env,
    mounts: o.mounts,
    labels: { ...podLabels(pod, o.nodeName), [LABEL_CONTAINER_NAME]: container.name },
    annotations: {
      [ANNOTATION_CONTAINER_HASH]: containerHash(container),
      [ANNOTATION_RESTART_COUNT]: String(o.attempt),
      [ANNOTATION_TERMINATION_GRACE]: String(pod.spec.terminationGracePeriodSeconds ?? 30),
    },
    logPath: logPath(o.rootDir, pod, container.name, o.attempt),
    stdin: container.stdin === true,
    stdinOnce: container.stdinOnce === true,
    tty: container.tty === true,
    resources: linuxResources(container),
    ...(sc ? { securityContext: { runAsUser: sc.runAsUser, runAsGroup: sc.runAsGroup, privileged: sc.privileged, readOnlyRootFilesystem: sc.readOnlyRootFilesystem } } : {}),
  };
}

/**
 * The Kubernetes-managed /etc/hosts of a pod not on the host network. A pod
 * with a subdomain (a StatefulSet's, under its headless Service) also knows
 * itself by its FQDN, HOSTNAME.SUBDOMAIN.NS.svc.DOMAIN, as upstream writes it.
 */
export async function writeEtcHosts(podDir: string, pod: Pod, podIPs: string[], clusterDomain = ''): Promise<Mount> {
  const host = (pod.spec.hostname ?? pod.metadata.name ?? '').slice(0, 63);
  const subdomain = pod.spec.subdomain;
  const names = subdomain ? `${host}.${subdomain}.${pod.metadata.namespace ?? 'default'}.svc.${clusterDomain}\t${host}` : host;
  let text = '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';
  for (const ip of podIPs) text += `${ip}\t${names}\n`;
  await mkdir(podDir, { recursive: true });
  const p = join(podDir, 'etc-hosts');
  await writeFile(p, text);
  return { hostPath: p, containerPath: '/etc/hosts', readOnly: false };
}
