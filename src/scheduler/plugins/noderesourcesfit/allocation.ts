import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { MAX_NODE_SCORE } from '../../framework/interface.js';
import { isScalarResourceName } from '../../framework/resource.js';

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

/** Fills `req` and `alloc` (same length as resources); alloc 0 means "leave this resource out". */
export function allocationOf(node: NodeInfo, pod: PodInfo, resources: readonly ResourceSpec[], useRequested: boolean, req: number[], alloc: number[]): void {
  const nodeReq = useRequested ? node.requested : node.nonZeroRequested;
  const podReq = useRequested ? pod.requests : pod.nonZeroRequests;
  for (let i = 0; i < resources.length; i++) {
    const name = resources[i]!.name;
    const p = podReq.get(name);
    if (p === 0 && isScalarResourceName(name)) {
      req[i] = 0;
      alloc[i] = 0;
      continue;
    }
    alloc[i] = node.allocatable.get(name);
    req[i] = nodeReq.get(name) + p;
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
