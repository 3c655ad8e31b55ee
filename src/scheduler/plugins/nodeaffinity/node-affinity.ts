import type { FilterPlugin, PreFilterPlugin, PreFilterResult, PreScorePlugin, ScorePlugin, NodeScore } from '../../framework/interface.js';
import type { CycleState } from '../../framework/cycle-state.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import type { NodeSelectorTerm } from '../../framework/types.js';
import { Code, Status, SUCCESS, SKIP } from '../../framework/status.js';
import { matchesAnyTerm, matchesTerm, podMatchesNodeSelectorAndAffinity } from '../../util/node-selector.js';
import { defaultNormalizeScore } from '../../framework/normalize.js';
import { NODE_ADD, NODE_UPDATE, type ClusterEvent } from '../../queue/events.js';

// nodeSelector and required node affinity as a filter, preferred terms as a
// score, plus the profile's addedAffinity that every pod must also satisfy.

export const NAME = 'NodeAffinity';
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity";
export const ERR_REASON_CONFLICT = 'pod affinity terms conflict';

export interface NodeAffinityArgs {
  addedAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] };
    preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; preference: NodeSelectorTerm }[];
  };
}

export class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = NAME;

  constructor(private readonly args: NodeAffinityArgs = {}) {}

  preFilter(_state: CycleState, pod: PodInfo): { status: Status; result?: PreFilterResult } {
    const req = pod.pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (!req && !this.args.addedAffinity?.requiredDuringSchedulingIgnoredDuringExecution && !pod.pod.spec.nodeSelector) return { status: SKIP };
    if (!req) return { status: SUCCESS };
    // Terms that pin metadata.name narrow the nodes worth filtering at all.
    let names: Set<string> | undefined;
    for (const t of req.nodeSelectorTerms ?? []) {
      let termNames: Set<string> | undefined;
      for (const f of t.matchFields ?? []) {
        if (f.key !== 'metadata.name' || f.operator !== 'In') continue;
        const s = new Set(f.values ?? []);
        termNames = termNames ? new Set([...termNames].filter((n) => s.has(n))) : s;
      }
      if (!termNames) return { status: SUCCESS };
      names = new Set([...(names ?? []), ...termNames]);
    }
    if (names && names.size === 0) return { status: new Status(Code.UnschedulableAndUnresolvable, [ERR_REASON_CONFLICT]) };
    return { status: SUCCESS, result: names ? { nodeNames: names } : undefined };
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const n = node.node!;
    const added = this.args.addedAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (added && !matchesAnyTerm(added.nodeSelectorTerms ?? [], n)) return Status.unresolvable(ERR_REASON_ENFORCED);
    if (!podMatchesNodeSelectorAndAffinity(pod.pod, n)) return Status.unresolvable(ERR_REASON_POD);
    return SUCCESS;
  }

  private preferred(pod: PodInfo): { weight: number; preference: NodeSelectorTerm }[] {
    const own = pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    const added = this.args.addedAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    return added.length ? [...own, ...added] : own;
  }

  preScore(_state: CycleState, pod: PodInfo): Status {
    return this.preferred(pod).length === 0 ? SKIP : SUCCESS;
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    let sum = 0;
    for (const p of this.preferred(pod)) if (p.weight !== 0 && matchesTerm(p.preference, node.node!)) sum += p.weight;
    return sum;
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: NodeScore[]): void {
    defaultNormalizeScore(scores, false);
  }

  events(): ClusterEvent[] {
    return [NODE_ADD, NODE_UPDATE];
  }
}
