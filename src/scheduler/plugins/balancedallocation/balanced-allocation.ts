import type { ScorePlugin } from '../../framework/interface.js';
import type { CycleState } from '../../framework/cycle-state.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { MAX_NODE_SCORE } from '../../framework/interface.js';
import { DEFAULT_RESOURCES, AllocationReader, type ResourceSpec } from '../noderesourcesfit/allocation.js';

// Prefers nodes whose resources would be used evenly after placing the pod:
// score = (1 - standard deviation of the requested fractions) * 100.

export const NAME = 'NodeResourcesBalancedAllocation';

export interface BalancedAllocationArgs {
  resources?: ResourceSpec[];
}

export function balancedScore(req: readonly number[], alloc: readonly number[], scratch: number[] = []): number {
  // The fractions go into the caller's scratch array: Score runs this for hundreds of nodes per pod.
  let count = 0;
  for (let i = 0; i < req.length; i++) {
    if (alloc[i] === 0) continue;
    scratch[count++] = Math.min(1, req[i]! / alloc[i]!);
  }
  let std = 0;
  if (count === 2) std = Math.abs((scratch[0]! - scratch[1]!) / 2);
  else if (count > 2) {
    let sum = 0;
    for (let i = 0; i < count; i++) sum += scratch[i]!;
    const mean = sum / count;
    let sq = 0;
    for (let i = 0; i < count; i++) sq += (scratch[i]! - mean) * (scratch[i]! - mean);
    std = Math.sqrt(sq / count);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

export class BalancedAllocation implements ScorePlugin {
  readonly name = NAME;
  private readonly resources: ResourceSpec[];
  private readonly req: number[];
  private readonly alloc: number[];
  private readonly fractions: number[];
  private readonly reader: AllocationReader;

  constructor(args: BalancedAllocationArgs = {}) {
    this.resources = args.resources?.length ? args.resources : DEFAULT_RESOURCES;
    this.reader = new AllocationReader(this.resources, true);
    this.fractions = new Array<number>(this.resources.length).fill(0);
    this.req = new Array<number>(this.resources.length).fill(0);
    this.alloc = new Array<number>(this.resources.length).fill(0);
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    this.reader.read(node, pod, this.req, this.alloc);
    return balancedScore(this.req, this.alloc, this.fractions);
  }
}
