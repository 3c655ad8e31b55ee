import type { ScorePlugin } from '../../framework/interface.js';
import type { CycleState } from '../../framework/cycle-state.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { MAX_NODE_SCORE } from '../../framework/interface.js';
import { DEFAULT_RESOURCES, allocationOf, type ResourceSpec } from '../noderesourcesfit/allocation.js';

// Prefers nodes whose resources would be used evenly after placing the pod:
// score = (1 - standard deviation of the requested fractions) * 100.

export const NAME = 'NodeResourcesBalancedAllocation';

export interface BalancedAllocationArgs {
  resources?: ResourceSpec[];
}

export function balancedScore(req: readonly number[], alloc: readonly number[]): number {
  const fractions: number[] = [];
  for (let i = 0; i < req.length; i++) {
    if (alloc[i] === 0) continue;
    fractions.push(Math.min(1, req[i]! / alloc[i]!));
  }
  let std = 0;
  if (fractions.length === 2) std = Math.abs((fractions[0]! - fractions[1]!) / 2);
  else if (fractions.length > 2) {
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) * (f - mean), 0) / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

export class BalancedAllocation implements ScorePlugin {
  readonly name = NAME;
  private readonly resources: ResourceSpec[];
  private readonly req: number[];
  private readonly alloc: number[];

  constructor(args: BalancedAllocationArgs = {}) {
    this.resources = args.resources?.length ? args.resources : DEFAULT_RESOURCES;
    this.req = new Array<number>(this.resources.length).fill(0);
    this.alloc = new Array<number>(this.resources.length).fill(0);
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    allocationOf(node, pod, this.resources, true, this.req, this.alloc);
    return balancedScore(this.req, this.alloc);
  }
}
