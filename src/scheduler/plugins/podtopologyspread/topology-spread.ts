import type { FilterPlugin, NodeScore, PreFilterExtensions, PreFilterPlugin, PreScorePlugin, ScorePlugin, Handle } from '../../framework/interface.js';
import { MAX_NODE_SCORE } from '../../framework/interface.js';
import type { CycleState, StateData } from '../../framework/cycle-state.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { Status, SUCCESS, SKIP } from '../../framework/status.js';
import { selectorMatches } from '../../util/selectors.js';
import { compileConstraints, countMatching, hasAllKeys, nodeCounts, type Constraint } from './constraints.js';
import { ASSIGNED_POD_ADD, ASSIGNED_POD_DELETE, ASSIGNED_POD_UPDATE, NODE_ADD, NODE_DELETE, NODE_UPDATE, type ClusterEvent } from '../../queue/events.js';

// PodTopologySpread: DoNotSchedule constraints filter nodes whose domain
// would exceed maxSkew over the least-loaded domain; ScheduleAnyway
// constraints score nodes by how many matching pods their domain holds.

export const NAME = 'PodTopologySpread';
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + ' (missing required label)';

const PRE_FILTER_KEY = 'PreFilter' + NAME;
const PRE_SCORE_KEY = 'PreScore' + NAME;

class FilterState implements StateData {
  constructor(
    readonly constraints: Constraint[],
    /** Per constraint: domain value → matching pods. */
    readonly counts: Map<string, number>[],
  ) {}

  clone(): FilterState {
    return new FilterState(
      this.constraints,
      this.counts.map((m) => new Map(m)),
    );
  }

  minMatch(i: number): number {
    const m = this.counts[i]!;
    if (m.size < this.constraints[i]!.minDomains) return 0;
    let min = Infinity;
    for (const v of m.values()) if (v < min) min = v;
    return min === Infinity ? 0 : min;
  }
}

class ScoreState implements StateData {
  constructor(
    readonly constraints: Constraint[],
    readonly counts: Map<string, number>[],
    readonly weights: number[],
  ) {}

  clone(): ScoreState {
    return this;
  }
}

export class PodTopologySpread implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = NAME;
  readonly preFilterExtensions: PreFilterExtensions;

  constructor(private readonly handle: Handle) {
    this.preFilterExtensions = {
      addPod: (state, pod, added, node) => this.update(state, pod, added, node, 1),
      removePod: (state, pod, removed, node) => this.update(state, pod, removed, node, -1),
    };
  }

  preFilter(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): { status: Status } {
    const constraints = compileConstraints(pod.pod, true);
    if (constraints.length === 0) return { status: SKIP };
    const counts = constraints.map(() => new Map<string, number>());
    for (const ni of nodes) {
      if (!hasAllKeys(constraints, ni)) continue;
      const labels = ni.node!.metadata.labels!;
      constraints.forEach((c, i) => {
        if (!nodeCounts(c, pod.pod, ni)) return;
        const v = labels[c.topologyKey]!;
        counts[i]!.set(v, (counts[i]!.get(v) ?? 0) + countMatching(c, pod.namespace, ni));
      });
    }
    state.write(PRE_FILTER_KEY, new FilterState(constraints, counts));
    return { status: SUCCESS };
  }

  private update(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo, sign: number): Status {
    const s = state.read<FilterState>(PRE_FILTER_KEY);
    if (!s || other.namespace !== pod.namespace || !hasAllKeys(s.constraints, node)) return SUCCESS;
    s.constraints.forEach((c, i) => {
      if (!nodeCounts(c, pod.pod, node) || !selectorMatches(c.selector, other.pod.metadata.labels)) return;
      const v = node.node!.metadata.labels![c.topologyKey]!;
      s.counts[i]!.set(v, (s.counts[i]!.get(v) ?? 0) + sign);
    });
    return SUCCESS;
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const s = state.read<FilterState>(PRE_FILTER_KEY);
    if (!s) return SUCCESS;
    const labels = node.node?.metadata.labels ?? {};
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i]!;
      const v = labels[c.topologyKey];
      if (v === undefined) return Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
      const self = selectorMatches(c.selector, pod.pod.metadata.labels) ? 1 : 0;
      const skew = (s.counts[i]!.get(v) ?? 0) + self - s.minMatch(i);
      if (skew > c.maxSkew) return Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
    }
    return SUCCESS;
  }

  preScore(state: CycleState, pod: PodInfo, filtered: readonly NodeInfo[]): Status {
    const constraints = compileConstraints(pod.pod, false);
    if (constraints.length === 0) return SKIP;
    const counts = constraints.map(() => new Map<string, number>());
    // Domains come from the feasible nodes; pods are counted on every node of those domains.
    const domains = constraints.map(() => new Set<string>());
    for (const ni of filtered) {
      if (!hasAllKeys(constraints, ni)) continue;
      constraints.forEach((c, i) => domains[i]!.add(ni.node!.metadata.labels![c.topologyKey]!));
    }
    for (const ni of this.handle.snapshot().list) {
      if (!hasAllKeys(constraints, ni)) continue;
      const labels = ni.node!.metadata.labels!;
      constraints.forEach((c, i) => {
        const v = labels[c.topologyKey]!;
        if (!domains[i]!.has(v) || !nodeCounts(c, pod.pod, ni)) return;
        counts[i]!.set(v, (counts[i]!.get(v) ?? 0) + countMatching(c, pod.namespace, ni));
      });
    }
    const weights = domains.map((d) => Math.log(d.size + 2));
    state.write(PRE_SCORE_KEY, new ScoreState(constraints, counts, weights));
    return SUCCESS;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const s = state.read<ScoreState>(PRE_SCORE_KEY);
    if (!s) return 0;
    const labels = node.node?.metadata.labels ?? {};
    let score = 0;
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i]!;
      const v = labels[c.topologyKey];
      if (v === undefined) return -1;
      score += (s.counts[i]!.get(v) ?? 0) * s.weights[i]! + (c.maxSkew - 1);
    }
    return Math.round(score);
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: NodeScore[]): void {
    let min = Infinity;
    let max = -Infinity;
    for (const s of scores) {
      if (s.score < 0) continue;
      min = Math.min(min, s.score);
      max = Math.max(max, s.score);
    }
    for (const s of scores) {
      if (s.score < 0) s.score = 0;
      else if (max === 0) s.score = MAX_NODE_SCORE;
      else s.score = Math.floor((MAX_NODE_SCORE * (max + min - s.score)) / max);
    }
  }

  events(): ClusterEvent[] {
    return [ASSIGNED_POD_ADD, ASSIGNED_POD_UPDATE, ASSIGNED_POD_DELETE, NODE_ADD, NODE_UPDATE, NODE_DELETE];
  }
}
