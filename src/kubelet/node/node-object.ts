import type { Node, NodeCondition, NodeStatus } from '../api-types.js';
import type { MachineInfo } from './machine.js';

// The Node a kubelet registers and the status it keeps reporting, as
// upstream's initialNode and nodestatus setters, with their labels, reasons
// and messages.

export const KUBELET_VERSION = 'v1.32.4+k8ts';

/** upstream's default --eviction-hard: memory.available<100Mi, nodefs.available<10%. */
const EVICTION_MEMORY_BYTES = 100 * 1024 * 1024;
const EVICTION_NODEFS_FRACTION = 0.1;

export interface NodeFacts {
  nodeName: string;
  machine: MachineInfo;
  storageBytes: number;
  maxPods: number;
  runtimeVersion: string;
  address: string;
  kubeletPort: number;
  podCIDR?: string;
  labels?: Record<string, string>;
  /** Overrides for capacity (hollow nodes pretend to be bigger or smaller). */
  capacity?: Record<string, string>;
}

export function resources(f: NodeFacts): { capacity: Record<string, string>; allocatable: Record<string, string> } {
  const capacity: Record<string, string> = {
    cpu: String(f.machine.cpus),
    'ephemeral-storage': `${Math.floor(f.storageBytes / 1024)}Ki`,
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: `${Math.floor(f.machine.memoryBytes / 1024)}Ki`,
    pods: String(f.maxPods),
    ...f.capacity,
  };
  const allocatable: Record<string, string> = {
    ...capacity,
    'ephemeral-storage': String(Math.floor(f.storageBytes * (1 - EVICTION_NODEFS_FRACTION))),
    memory: `${Math.max(0, Math.floor((f.machine.memoryBytes - EVICTION_MEMORY_BYTES) / 1024))}Ki`,
  };
  if (f.capacity) Object.assign(allocatable, f.capacity);
  return { capacity, allocatable };
}

export function nodeLabels(f: NodeFacts): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': f.machine.architecture,
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': f.machine.architecture,
    'kubernetes.io/hostname': f.nodeName,
    'kubernetes.io/os': 'linux',
    ...f.labels,
  };
}

export interface ConditionState {
  ready: boolean;
  notReadyMessage?: string;
  /** The runtime's own conditions (CRI Status beyond RuntimeReady/NetworkReady), reported as Node conditions. */
  runtimeConditions?: { type: string; status: boolean; reason: string; message: string }[];
}

/** The four conditions the kubelet owns, keeping transition times of unchanged ones. */
export function nodeConditions(s: ConditionState, old: NodeCondition[] | undefined, now: string): NodeCondition[] {
  const mk = (type: string, status: 'True' | 'False', reason: string, message: string): NodeCondition => {
    const prev = old?.find((c) => c.type === type);
    return { type, status, lastHeartbeatTime: now, lastTransitionTime: prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now, reason, message };
  };
  return [
    mk('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    mk('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    mk('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    s.ready ? mk('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status') : mk('Ready', 'False', 'KubeletNotReady', s.notReadyMessage ?? 'container runtime is down'),
    ...(s.runtimeConditions ?? []).map((c) => mk(c.type, c.status ? 'True' : 'False', c.reason, c.message)),
  ];
}

export function nodeStatus(f: NodeFacts, s: ConditionState, old: NodeCondition[] | undefined, now: string): NodeStatus {
  const { capacity, allocatable } = resources(f);
  return {
    capacity,
    allocatable,
    conditions: nodeConditions(s, old, now),
    addresses: [
      { type: 'InternalIP', address: f.address },
      { type: 'Hostname', address: f.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: f.kubeletPort } },
    nodeInfo: {
      machineID: f.machine.machineID,
      systemUUID: f.machine.systemUUID,
      bootID: f.machine.bootID,
      kernelVersion: f.machine.kernelVersion,
      osImage: f.machine.osImage,
      containerRuntimeVersion: f.runtimeVersion,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: f.machine.architecture,
    },
  };
}

export function initialNode(f: NodeFacts, s: ConditionState, now: string): Node {
  const node: Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: f.nodeName,
      labels: nodeLabels(f),
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {},
    status: nodeStatus(f, s, undefined, now),
  };
  if (f.podCIDR) node.spec = { podCIDR: f.podCIDR, podCIDRs: [f.podCIDR] };
  return node;
}

/** Whether two statuses differ in anything but heartbeat times (a change is reported at once). */
export function statusChanged(a: NodeStatus | undefined, b: NodeStatus): boolean {
  const strip = (s: NodeStatus | undefined): string =>
    JSON.stringify({
      ...s,
      conditions: (s?.conditions ?? []).map((c) => ({ ...c, lastHeartbeatTime: undefined })),
      images: undefined,
      phase: undefined,
      volumesInUse: undefined,
      volumesAttached: undefined,
      runtimeHandlers: undefined,
      features: undefined,
    });
  return strip(a) !== strip(b);
}
