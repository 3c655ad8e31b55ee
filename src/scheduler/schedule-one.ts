import type { Framework } from './framework/runtime.js';
import { CycleState } from './framework/cycle-state.js';
import type { NodeInfo } from './framework/node-info.js';
import type { PodInfo } from './framework/pod-info.js';
import { Code, Status } from './framework/status.js';
import { NodeToStatus } from './framework/node-to-status.js';
import type { Snapshot } from './cache/snapshot.js';

// One scheduling attempt for one pod against one snapshot: PreFilter,
// Filter over a rotating window of nodes until enough feasible ones are
// found, then PreScore/Score and the best node (ties broken at random).
// Synchronous on purpose: nothing can change the snapshot mid-cycle.

export const MIN_FEASIBLE_NODES_TO_FIND = 100;
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;
export const DEFAULT_PERCENTAGE_OF_NODES_TO_SCORE = 0;
export const ERR_NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

/** How many feasible nodes are enough: all below 100 nodes, else a percentage that shrinks as the cluster grows (50% - 1 per 125 nodes, at least 5%). */
export function numFeasibleNodesToFind(percentage: number | undefined, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentage ?? 0;
  if (pct === 0) {
    pct = Math.trunc(50 - numAllNodes / 125);
    if (pct < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) pct = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  const n = Math.trunc((numAllNodes * pct) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

export interface FitFailure {
  kind: 'fit';
  numAllNodes: number;
  statuses: NodeToStatus;
  preFilterMsg: string;
  /** Plugins that rejected the pod somewhere: which cluster events may help. */
  plugins: Set<string>;
}

export type ScheduleResult =
  | { kind: 'ok'; node: string; evaluatedNodes: number; feasibleNodes: number }
  | FitFailure
  | { kind: 'error'; status: Status };

/** Round-robin position shared across cycles so successive pods start their search at different nodes. */
export class StartIndex {
  value = 0;
}

export function schedulePod(fwk: Framework, state: CycleState, pod: PodInfo, snap: Snapshot, start: StartIndex, percentageOfNodesToScore?: number): ScheduleResult {
  const all = snap.list;
  if (all.length === 0) return { kind: 'error', status: new Status(Code.UnschedulableAndUnresolvable, [ERR_NO_NODES_AVAILABLE]) };
  const statuses = new NodeToStatus();
  const plugins = new Set<string>();

  const pf = fwk.runPreFilter(state, pod, all);
  if (!pf.status.isSuccess()) {
    if (pf.status.code === Code.Error) return { kind: 'error', status: pf.status };
    for (const ni of all) statuses.set(ni.name, pf.status);
    plugins.add(pf.status.plugin);
    return { kind: 'fit', numAllNodes: all.length, statuses, preFilterMsg: pf.status.message(), plugins };
  }

  // A pod nominated by an earlier preemption tries its node first.
  const nominated = pod.pod.status?.nominatedNodeName;
  if (nominated && (!pf.result?.nodeNames || pf.result.nodeNames.has(nominated))) {
    const ni = snap.get(nominated);
    if (ni && fwk.runFilterPluginsWithNominatedPods(state, pod, ni).isSuccess()) {
      return { kind: 'ok', node: nominated, evaluatedNodes: 1, feasibleNodes: 1 };
    }
  }

  let candidates: readonly NodeInfo[] = all;
  if (pf.result?.nodeNames) {
    candidates = [...pf.result.nodeNames].map((n) => snap.get(n)).filter((n): n is NodeInfo => n !== undefined);
    statuses.absent = Status.unresolvable(`node(s) didn't satisfy plugin(s) [${fwk.preFilter.filter((p) => !state.skipFilterPlugins.has(p.name)).map((p) => p.name).join(' ')}]`);
  }

  const n = candidates.length;
  const want = numFeasibleNodesToFind(percentageOfNodesToScore ?? fwk.percentageOfNodesToScore, n);
  const feasible: NodeInfo[] = [];
  let processed = 0;
  const begin = n > 0 ? start.value % n : 0;
  // Nothing can nominate a pod mid-cycle, so one check per pod spares the per-node lookup when nothing is nominated.
  const withNominated = fwk.hasNominatedPods();
  for (let i = 0; i < n && feasible.length < want; i++) {
    const ni = candidates[(begin + i) % n]!;
    processed++;
    const s = withNominated ? fwk.runFilterPluginsWithNominatedPods(state, pod, ni) : fwk.runFilter(state, pod, ni);
    if (s.code === Code.Success) feasible.push(ni);
    else if (s.code === Code.Error) return { kind: 'error', status: s };
    else {
      statuses.set(ni.name, s);
      plugins.add(s.plugin);
    }
  }
  start.value = all.length > 0 ? (start.value + processed) % all.length : 0;

  if (feasible.length === 0) return { kind: 'fit', numAllNodes: all.length, statuses, preFilterMsg: '', plugins };
  if (feasible.length === 1) return { kind: 'ok', node: feasible[0]!.name, evaluatedNodes: processed, feasibleNodes: 1 };

  const ps = fwk.runPreScore(state, pod, feasible);
  if (!ps.isSuccess()) return { kind: 'error', status: ps };
  const totals = fwk.runScore(state, pod, feasible);
  return { kind: 'ok', node: selectHost(feasible, totals), evaluatedNodes: processed, feasibleNodes: feasible.length };
}

/** The highest total; among equal totals each is equally likely (reservoir sampling). */
export function selectHost(nodes: readonly NodeInfo[], totals: readonly number[], random: () => number = Math.random): string {
  let best = 0;
  let ties = 1;
  for (let i = 1; i < nodes.length; i++) {
    const t = totals[i]!;
    if (t > totals[best]!) {
      best = i;
      ties = 1;
    } else if (t === totals[best]!) {
      ties++;
      if (random() * ties < 1) best = i;
    }
  }
  return nodes[best]!.name;
}

export function newCycleState(): CycleState {
  return new CycleState();
}
