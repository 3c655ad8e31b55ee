import type { FilterPlugin, PreFilterPlugin, ScorePlugin } from '../../framework/interface.js';
import type { CycleState } from '../../framework/cycle-state.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { Code, Status, SUCCESS } from '../../framework/status.js';
import { isScalarResourceName } from '../../framework/resource.js';
import { ASSIGNED_POD_DELETE, ASSIGNED_POD_UPDATE, NODE_ADD, NODE_UPDATE, type ClusterEvent } from '../../queue/events.js';
import {
  DEFAULT_RESOURCES,
  AllocationReader,
  leastRequestedScore,
  mostRequestedScore,
  requestedToCapacityRatioScore,
  weightedScore,
  type ResourceSpec,
  type Shape,
} from './allocation.js';

// NodeResourcesFit: the pod's requests (containers, init containers,
// overhead; precomputed in PodInfo) against what is left of the node's
// allocatable cpu, memory, ephemeral-storage, pod count and extended
// resources; scoring by the configured strategy.

export const NAME = 'NodeResourcesFit';

export type ScoringStrategyType = 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio';

export interface FitArgs {
  ignoredResources?: string[];
  ignoredResourceGroups?: string[];
  scoringStrategy?: {
    type?: ScoringStrategyType;
    resources?: ResourceSpec[];
    requestedToCapacityRatio?: { shape?: Shape[] };
  };
}

export interface InsufficientResource {
  resourceName: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
  /** The node could not hold the pod even empty: preemption cannot help. */
  unresolvable: boolean;
}

export function fitsRequest(pod: PodInfo, node: NodeInfo, ignored?: Set<string>, ignoredGroups?: Set<string>): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const allowed = node.allocatable.allowedPodNumber;
  if (node.pods.length + 1 > allowed) {
    out.push({ resourceName: 'pods', reason: 'Too many pods', requested: 1, used: node.pods.length, capacity: allowed, unresolvable: false });
  }
  const r = pod.requests;
  if (r.isZero()) return out;
  const a = node.allocatable;
  const used = node.requested;
  const check = (name: string, want: number, have: number, inUse: number, reason: string) => {
    if (have < want + inUse) out.push({ resourceName: name, reason, requested: want, used: inUse, capacity: have, unresolvable: want > have });
  };
  check('cpu', r.milliCPU, a.milliCPU, used.milliCPU, 'Insufficient cpu');
  check('memory', r.memory, a.memory, used.memory, 'Insufficient memory');
  check('ephemeral-storage', r.ephemeralStorage, a.ephemeralStorage, used.ephemeralStorage, 'Insufficient ephemeral-storage');
  if (r.scalar) {
    for (const [name, want] of r.scalar) {
      if (isScalarResourceName(name) && name.includes('/')) {
        if (ignored?.has(name)) continue;
        if (ignoredGroups?.has(name.slice(0, name.indexOf('/')))) continue;
      }
      check(name, want, a.scalar?.get(name) ?? 0, used.scalar?.get(name) ?? 0, `Insufficient ${name}`);
    }
  }
  return out;
}

export class NodeResourcesFit implements PreFilterPlugin, FilterPlugin, ScorePlugin {
  readonly name = NAME;
  private readonly ignored: Set<string>;
  private readonly ignoredGroups: Set<string>;
  private readonly resources: ResourceSpec[];
  private readonly scorer: (r: number, c: number) => number;
  private readonly reader: AllocationReader;
  // Reused between calls: Score runs synchronously for one node at a time.
  private readonly req: number[];
  private readonly alloc: number[];

  constructor(args: FitArgs = {}) {
    this.ignored = new Set(args.ignoredResources ?? []);
    this.ignoredGroups = new Set(args.ignoredResourceGroups ?? []);
    const s = args.scoringStrategy ?? {};
    this.resources = s.resources?.length ? s.resources.map((x) => ({ name: x.name, weight: x.weight ?? 1 })) : DEFAULT_RESOURCES;
    const type = s.type ?? 'LeastAllocated';
    if (type === 'LeastAllocated') this.scorer = leastRequestedScore;
    else if (type === 'MostAllocated') this.scorer = mostRequestedScore;
    else if (type === 'RequestedToCapacityRatio') {
      const shape = s.requestedToCapacityRatio?.shape ?? [];
      this.scorer = (r, c) => requestedToCapacityRatioScore(shape, r, c);
    } else throw new Error(`scoring strategy ${String(type)} is not supported`);
    this.reader = new AllocationReader(this.resources, false);
    this.req = new Array<number>(this.resources.length).fill(0);
    this.alloc = new Array<number>(this.resources.length).fill(0);
  }

  preFilter(): { status: Status } {
    // The requests are precomputed on the PodInfo; nothing to add to the cycle state.
    return { status: SUCCESS };
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    // Fast path: enough room in every dimension the pod asks for.
    const r = pod.requests;
    if (
      node.pods.length < node.allowedPodNumber &&
      !r.scalar &&
      r.milliCPU + node.requestedMilliCPU <= node.allocatableMilliCPU &&
      r.memory + node.requestedMemory <= node.allocatableMemory &&
      r.ephemeralStorage + node.requestedEphemeralStorage <= node.allocatableEphemeralStorage
    ) {
      return SUCCESS;
    }
    const insufficient = fitsRequest(pod, node, this.ignored, this.ignoredGroups);
    if (insufficient.length === 0) return SUCCESS;
    const code = insufficient.some((i) => i.unresolvable) ? Code.UnschedulableAndUnresolvable : Code.Unschedulable;
    return new Status(
      code,
      insufficient.map((i) => i.reason),
    );
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    this.reader.read(node, pod, this.req, this.alloc);
    return weightedScore(this.resources, this.req, this.alloc, this.scorer);
  }

  events(): ClusterEvent[] {
    return [ASSIGNED_POD_DELETE, ASSIGNED_POD_UPDATE, NODE_ADD, NODE_UPDATE];
  }
}
