import type { FilterPlugin, Handle, NodeScore, PreFilterExtensions, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../../framework/interface.js';
import { MAX_NODE_SCORE } from '../../framework/interface.js';
import type { CycleState, StateData } from '../../framework/cycle-state.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { termMatches, type AffinityTerm, type PodInfo } from '../../framework/pod-info.js';
import { Status, SUCCESS, SKIP } from '../../framework/status.js';
import { ASSIGNED_POD_ADD, ASSIGNED_POD_DELETE, ASSIGNED_POD_UPDATE, NAMESPACE_ANY, NODE_ADD, NODE_UPDATE, type ClusterEvent } from '../../queue/events.js';

// InterPodAffinity. Filter: the pod's required affinity must find a
// matching pod in the node's topology domain, its required anti-affinity
// must find none, and no existing pod's required anti-affinity may match it
// in that domain. Score: preferred terms both ways. Counts are per
// "topologyKey=value" pair, computed once in PreFilter/PreScore.

export const NAME = 'InterPodAffinity';
export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";

const PRE_FILTER_KEY = 'PreFilter' + NAME;
const PRE_SCORE_KEY = 'PreScore' + NAME;

export interface InterPodAffinityArgs {
  hardPodAffinityWeight?: number;
  ignorePreferredTermsOfExistingPods?: boolean;
}

type Counts = Map<string, number>;

function bump(m: Counts, key: string, value: string | undefined, by: number): void {
  if (value === undefined) return;
  const k = `${key}=${value}`;
  const n = (m.get(k) ?? 0) + by;
  if (n === 0) m.delete(k);
  else m.set(k, n);
}

class FilterState implements StateData {
  constructor(
    readonly existingAntiAffinity: Counts,
    readonly affinity: Counts,
    readonly antiAffinity: Counts,
  ) {}

  clone(): FilterState {
    return new FilterState(new Map(this.existingAntiAffinity), new Map(this.affinity), new Map(this.antiAffinity));
  }
}

class ScoreState implements StateData {
  constructor(readonly scores: Map<string, Map<string, number>>) {}
  clone(): ScoreState {
    return this;
  }
}

export class InterPodAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = NAME;
  readonly preFilterExtensions: PreFilterExtensions;
  private readonly hardWeight: number;
  private readonly ignoreExistingPreferred: boolean;

  constructor(
    private readonly handle: Handle,
    args: InterPodAffinityArgs = {},
  ) {
    this.hardWeight = args.hardPodAffinityWeight ?? 1;
    this.ignoreExistingPreferred = args.ignorePreferredTermsOfExistingPods ?? false;
    this.preFilterExtensions = {
      addPod: (state, pod, other, node) => this.update(state, pod, other, node, 1),
      removePod: (state, pod, other, node) => this.update(state, pod, other, node, -1),
    };
  }

  private matchesAll(terms: readonly AffinityTerm[], other: PodInfo): boolean {
    for (const t of terms) if (!termMatches(t, other.pod, this.handle.namespaceLabels)) return false;
    return true;
  }

  /** Add (sign 1) or remove (-1) one existing pod's contribution to the counts. */
  private account(s: FilterState, pod: PodInfo, other: PodInfo, node: NodeInfo, sign: number): void {
    const labels = node.node?.metadata.labels ?? {};
    const ns = this.handle.namespaceLabels;
    for (const t of other.requiredAntiAffinity) if (termMatches(t, pod.pod, ns)) bump(s.existingAntiAffinity, t.topologyKey, labels[t.topologyKey], sign);
    if (pod.requiredAffinity.length > 0 && this.matchesAll(pod.requiredAffinity, other)) {
      for (const t of pod.requiredAffinity) bump(s.affinity, t.topologyKey, labels[t.topologyKey], sign);
    }
    for (const t of pod.requiredAntiAffinity) if (termMatches(t, other.pod, ns)) bump(s.antiAffinity, t.topologyKey, labels[t.topologyKey], sign);
  }

  preFilter(state: CycleState, pod: PodInfo): { status: Status } {
    const snap = this.handle.snapshot();
    const own = pod.requiredAffinity.length + pod.requiredAntiAffinity.length > 0;
    if (!own && snap.havePodsWithRequiredAntiAffinity.length === 0) return { status: SKIP };
    const s = new FilterState(new Map(), new Map(), new Map());
    const labelsOf = (ni: NodeInfo) => ni.node?.metadata.labels ?? {};
    for (const ni of snap.havePodsWithRequiredAntiAffinity) {
      const labels = labelsOf(ni);
      for (const other of ni.podsWithRequiredAntiAffinity) {
        for (const t of other.requiredAntiAffinity) if (termMatches(t, pod.pod, this.handle.namespaceLabels)) bump(s.existingAntiAffinity, t.topologyKey, labels[t.topologyKey], 1);
      }
    }
    if (own) {
      const ns = this.handle.namespaceLabels;
      for (const ni of snap.list) {
        const labels = labelsOf(ni);
        for (const other of ni.pods) {
          if (pod.requiredAffinity.length > 0 && this.matchesAll(pod.requiredAffinity, other)) {
            for (const t of pod.requiredAffinity) bump(s.affinity, t.topologyKey, labels[t.topologyKey], 1);
          }
          for (const t of pod.requiredAntiAffinity) if (termMatches(t, other.pod, ns)) bump(s.antiAffinity, t.topologyKey, labels[t.topologyKey], 1);
        }
      }
    }
    state.write(PRE_FILTER_KEY, s);
    return { status: SUCCESS };
  }

  private update(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo, sign: number): Status {
    const s = state.read<FilterState>(PRE_FILTER_KEY);
    if (s) this.account(s, pod, other, node, sign);
    return SUCCESS;
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const s = state.read<FilterState>(PRE_FILTER_KEY);
    if (!s) return SUCCESS;
    const labels = node.node?.metadata.labels ?? {};
    if (pod.requiredAffinity.length > 0) {
      let ok = true;
      for (const t of pod.requiredAffinity) {
        const v = labels[t.topologyKey];
        if (v === undefined || !s.affinity.get(`${t.topologyKey}=${v}`)) {
          ok = false;
          break;
        }
      }
      // The first pod of a group whose affinity matches itself may go anywhere that has the topology keys.
      if (!ok && !(s.affinity.size === 0 && this.matchesAll(pod.requiredAffinity, pod) && pod.requiredAffinity.every((t) => t.topologyKey in labels))) {
        return Status.unresolvable(ERR_REASON_AFFINITY);
      }
    }
    for (const t of pod.requiredAntiAffinity) {
      const v = labels[t.topologyKey];
      if (v !== undefined && s.antiAffinity.get(`${t.topologyKey}=${v}`)) return Status.unschedulable(ERR_REASON_ANTI_AFFINITY);
    }
    if (s.existingAntiAffinity.size > 0) {
      for (const k in labels) if (s.existingAntiAffinity.get(`${k}=${labels[k]}`)) return Status.unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
    }
    return SUCCESS;
  }

  preScore(state: CycleState, pod: PodInfo): Status {
    const snap = this.handle.snapshot();
    const own = pod.preferredAffinity.length + pod.preferredAntiAffinity.length > 0;
    if (!own && (this.ignoreExistingPreferred || snap.havePodsWithAffinity.length === 0)) return SKIP;
    const scores = new Map<string, Map<string, number>>();
    const add = (key: string, value: string | undefined, w: number) => {
      if (value === undefined || w === 0) return;
      let m = scores.get(key);
      if (!m) scores.set(key, (m = new Map()));
      m.set(value, (m.get(value) ?? 0) + w);
    };
    const ns = this.handle.namespaceLabels;
    for (const ni of own ? snap.list : snap.havePodsWithAffinity) {
      const labels = ni.node?.metadata.labels ?? {};
      for (const other of own ? ni.pods : ni.podsWithAffinity) {
        for (const t of pod.preferredAffinity) if (termMatches(t, other.pod, ns)) add(t.topologyKey, labels[t.topologyKey], t.weight);
        for (const t of pod.preferredAntiAffinity) if (termMatches(t, other.pod, ns)) add(t.topologyKey, labels[t.topologyKey], -t.weight);
        if (this.hardWeight > 0) for (const t of other.requiredAffinity) if (termMatches(t, pod.pod, ns)) add(t.topologyKey, labels[t.topologyKey], this.hardWeight);
        if (this.ignoreExistingPreferred) continue;
        for (const t of other.preferredAffinity) if (termMatches(t, pod.pod, ns)) add(t.topologyKey, labels[t.topologyKey], t.weight);
        for (const t of other.preferredAntiAffinity) if (termMatches(t, pod.pod, ns)) add(t.topologyKey, labels[t.topologyKey], -t.weight);
      }
    }
    state.write(PRE_SCORE_KEY, new ScoreState(scores));
    return SUCCESS;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const s = state.read<ScoreState>(PRE_SCORE_KEY);
    if (!s) return 0;
    const labels = node.node?.metadata.labels ?? {};
    let score = 0;
    for (const [key, byValue] of s.scores) {
      const v = labels[key];
      if (v !== undefined) score += byValue.get(v) ?? 0;
    }
    return score;
  }

  normalizeScore(state: CycleState, _pod: PodInfo, scores: NodeScore[]): void {
    const s = state.read<ScoreState>(PRE_SCORE_KEY);
    if (!s || s.scores.size === 0) return;
    let min = Infinity;
    let max = -Infinity;
    for (const x of scores) {
      min = Math.min(min, x.score);
      max = Math.max(max, x.score);
    }
    const diff = max - min;
    for (const x of scores) x.score = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (x.score - min)) / diff) : 0;
  }

  events(): ClusterEvent[] {
    return [ASSIGNED_POD_ADD, ASSIGNED_POD_UPDATE, ASSIGNED_POD_DELETE, NODE_ADD, NODE_UPDATE, NAMESPACE_ANY];
  }
}
