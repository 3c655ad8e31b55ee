import type { Node, Taint } from './types.js';
import { Resource } from './resource.js';
import type { HostPort, PodInfo } from './pod-info.js';

// What the scheduler knows of one node: the Node, the pods on it (bound or
// assumed) and running sums of their requests, so Filter compares numbers
// instead of walking pods. `generation` moves on every change; the snapshot
// copies only nodes whose generation moved since the last cycle.

const NO_TAINTS: readonly Taint[] = [];

let generationCounter = 0;
export function nextGeneration(): number {
  return ++generationCounter;
}

export class NodeInfo {
  private node_: Node | undefined;
  /**
   * Read from the Node whenever it is set: the per-node filter and score
   * loops (hundreds of nodes per pod) then read the NodeInfo alone instead
   * of the Node, its metadata and its spec, three more objects apiece.
   */
  name = '';
  unschedulable = false;
  taints: readonly Taint[] = NO_TAINTS;
  pods: PodInfo[] = [];
  podsWithAffinity: PodInfo[] = [];
  podsWithRequiredAntiAffinity: PodInfo[] = [];
  usedPorts: HostPort[] = [];
  requested = new Resource();
  nonZeroRequested = new Resource();
  allocatable = new Resource();
  /**
   * Copies of the cpu, memory, ephemeral-storage and pod-count sums above,
   * kept in step by setNode, addPod, removePod and clone: NodeResourcesFit's
   * filter and the resource scorers read them here, on the object the loop
   * already holds, instead of on three more objects per node.
   */
  allocatableMilliCPU = 0;
  allocatableMemory = 0;
  allocatableEphemeralStorage = 0;
  allowedPodNumber = 0;
  requestedMilliCPU = 0;
  requestedMemory = 0;
  requestedEphemeralStorage = 0;
  nonZeroMilliCPU = 0;
  nonZeroMemory = 0;
  generation = nextGeneration();

  constructor(node?: Node) {
    if (node) this.setNode(node);
  }

  get node(): Node | undefined {
    return this.node_;
  }

  set node(node: Node | undefined) {
    this.node_ = node;
    this.name = node?.metadata.name ?? '';
    this.unschedulable = node?.spec?.unschedulable === true;
    this.taints = node?.spec?.taints ?? NO_TAINTS;
  }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = Resource.fromList(node.status?.allocatable ?? node.status?.capacity);
    this.syncSums();
    this.generation = nextGeneration();
  }

  addPod(pi: PodInfo): void {
    this.pods.push(pi);
    if (pi.hasAffinity()) this.podsWithAffinity.push(pi);
    if (pi.requiredAntiAffinity.length > 0) this.podsWithRequiredAntiAffinity.push(pi);
    for (const p of pi.hostPorts) this.usedPorts.push(p);
    this.requested.plus(pi.requests);
    this.nonZeroRequested.plus(pi.nonZeroRequests);
    this.syncSums();
    this.generation = nextGeneration();
  }

  /** Removes by key; false when the pod was not here. */
  removePod(key: string): boolean {
    const i = this.pods.findIndex((p) => p.key === key);
    if (i < 0) return false;
    const pi = this.pods[i]!;
    this.pods.splice(i, 1);
    const drop = (list: PodInfo[]) => {
      const j = list.findIndex((p) => p.key === key);
      if (j >= 0) list.splice(j, 1);
    };
    drop(this.podsWithAffinity);
    drop(this.podsWithRequiredAntiAffinity);
    for (const hp of pi.hostPorts) {
      const j = this.usedPorts.findIndex((u) => u.port === hp.port && u.protocol === hp.protocol && u.ip === hp.ip);
      if (j >= 0) this.usedPorts.splice(j, 1);
    }
    this.requested.plus(pi.requests, -1);
    this.nonZeroRequested.plus(pi.nonZeroRequests, -1);
    this.syncSums();
    this.generation = nextGeneration();
    return true;
  }

  private syncSums(): void {
    const a = this.allocatable;
    this.allocatableMilliCPU = a.milliCPU;
    this.allocatableMemory = a.memory;
    this.allocatableEphemeralStorage = a.ephemeralStorage;
    this.allowedPodNumber = a.allowedPodNumber;
    const r = this.requested;
    this.requestedMilliCPU = r.milliCPU;
    this.requestedMemory = r.memory;
    this.requestedEphemeralStorage = r.ephemeralStorage;
    this.nonZeroMilliCPU = this.nonZeroRequested.milliCPU;
    this.nonZeroMemory = this.nonZeroRequested.memory;
  }

  clone(): NodeInfo {
    const c = new NodeInfo();
    c.node_ = this.node_;
    c.name = this.name;
    c.unschedulable = this.unschedulable;
    c.taints = this.taints;
    c.pods = this.pods.slice();
    c.podsWithAffinity = this.podsWithAffinity.slice();
    c.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity.slice();
    c.usedPorts = this.usedPorts.slice();
    c.requested = this.requested.clone();
    c.nonZeroRequested = this.nonZeroRequested.clone();
    c.allocatable = this.allocatable;
    c.syncSums();
    c.generation = this.generation;
    return c;
  }
}
