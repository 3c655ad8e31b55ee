import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { MAX_NODE_SCORE } from '../../framework/interface.js';
import { isScalarResourceName, type Resource } from '../../framework/resource.js';

// The requested/allocatable pairs the resource scorers read, as upstream's
// resourceAllocationScorer: non-zero requests (cpu/memory defaults for
// containers without requests) unless the scorer wants actual requests.

export interface ResourceSpec {
  name: string;
  weight: number;
}

export const DEFAULT_RESOURCES: ResourceSpec[] = [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
];

/** Which Resource field a scorer's resource reads, resolved once from its name. */
const enum Kind {
  Cpu,
  Memory,
  EphemeralStorage,
  Pods,
  Scalar,
}

function kindOf(name: string): Kind {
  switch (name) {
    case 'cpu':
      return Kind.Cpu;
    case 'memory':
      return Kind.Memory;
    case 'ephemeral-storage':
      return Kind.EphemeralStorage;
    case 'pods':
      return Kind.Pods;
    default:
      return Kind.Scalar;
  }
}

/** Resource.get by a resolved kind. */
function amount(r: Resource, kind: Kind, name: string): number {
  switch (kind) {
    case Kind.Cpu:
      return r.milliCPU;
    case Kind.Memory:
      return r.memory;
    case Kind.EphemeralStorage:
      return r.ephemeralStorage;
    case Kind.Pods:
      return r.allowedPodNumber;
    default:
      return r.scalar?.get(name) ?? 0;
  }
}

/**
 * A scorer's view of the pod and the nodes (upstream's
 * resourceAllocationScorer): the resource names resolved to Resource fields
 * once, and the pod's side of each pair kept for as long as the same pod is
 * scored, since Score runs on hundreds of nodes per pod.
 */
export class AllocationReader {
  private readonly kinds: Kind[];
  private readonly names: string[];
  private readonly scalar: boolean[];
  private readonly podAmounts: number[];
  private lastPod: PodInfo | undefined;

  constructor(
    resources: readonly ResourceSpec[],
    /** Actual requests (BalancedAllocation); else the non-zero ones (the fit scorers). */
    private readonly useRequested: boolean,
  ) {
    this.names = resources.map((r) => r.name);
    this.kinds = this.names.map(kindOf);
    this.scalar = this.names.map(isScalarResourceName);
    this.podAmounts = new Array<number>(resources.length).fill(0);
  }

  /** Fills `req` and `alloc` (same length as resources); alloc 0 means "leave this resource out". */
  read(node: NodeInfo, pod: PodInfo, req: number[], alloc: number[]): void {
    const kinds = this.kinds;
    const names = this.names;
    const podAmounts = this.podAmounts;
    if (pod !== this.lastPod) {
      const podReq = this.useRequested ? pod.requests : pod.nonZeroRequests;
      for (let i = 0; i < kinds.length; i++) podAmounts[i] = amount(podReq, kinds[i]!, names[i]!);
      this.lastPod = pod;
    }
    const useRequested = this.useRequested;
    for (let i = 0; i < kinds.length; i++) {
      const p = podAmounts[i]!;
      const kind = kinds[i]!;
      // cpu and memory (the default resources) from the NodeInfo's own copies of its sums.
      if (kind === Kind.Cpu) {
        alloc[i] = node.allocatableMilliCPU;
        req[i] = (useRequested ? node.requestedMilliCPU : node.nonZeroMilliCPU) + p;
        continue;
      }
      if (kind === Kind.Memory) {
        alloc[i] = node.allocatableMemory;
        req[i] = (useRequested ? node.requestedMemory : node.nonZeroMemory) + p;
        continue;
      }
      if (p === 0 && this.scalar[i]) {
        req[i] = 0;
        alloc[i] = 0;
        continue;
      }
      alloc[i] = amount(node.allocatable, kind, names[i]!);
      req[i] = amount(useRequested ? node.requested : node.nonZeroRequested, kind, names[i]!) + p;
    }
  }
}

export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

export function mostRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  if (requested > capacity) requested = capacity;
  return Math.floor((requested * MAX_NODE_SCORE) / capacity);
}

export function weightedScore(resources: readonly ResourceSpec[], req: readonly number[], alloc: readonly number[], f: (r: number, c: number) => number): number {
  let score = 0;
  let weights = 0;
  for (let i = 0; i < resources.length; i++) {
    if (alloc[i] === 0) continue;
    const w = resources[i]!.weight;
    score += f(req[i]!, alloc[i]!) * w;
    weights += w;
  }
  return weights === 0 ? 0 : Math.floor(score / weights);
}

export interface Shape {
  utilization: number;
  score: number;
}

/** RequestedToCapacityRatio: a piecewise-linear function of utilization (0..100) to score (0..10, scaled to 0..100). */
export function requestedToCapacityRatioScore(shape: readonly Shape[], requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  const util = requested > capacity ? MAX_NODE_SCORE : Math.floor((requested * MAX_NODE_SCORE) / capacity);
  const pts = shape.map((s) => ({ x: s.utilization, y: (s.score * MAX_NODE_SCORE) / 10 }));
  if (pts.length === 0) return 0;
  if (util <= pts[0]!.x) return pts[0]!.y;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    if (util <= b.x) return Math.floor(a.y + ((b.y - a.y) * (util - a.x)) / (b.x - a.x));
  }
  return pts[pts.length - 1]!.y;
}
