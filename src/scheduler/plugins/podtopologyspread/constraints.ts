import type { Pod, TopologySpreadConstraint } from '../../framework/types.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { compileSelector, selectorMatches, type CompiledSelector } from '../../util/selectors.js';
import { podMatchesNodeSelectorAndAffinity } from '../../util/node-selector.js';
import { findUntoleratedTaint } from '../../util/tolerations.js';

// Topology spread constraints with their selectors compiled, and the rule
// for which nodes count as domains (node inclusion policies).

export interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: CompiledSelector;
  minDomains: number;
  honorAffinity: boolean;
  honorTaints: boolean;
}

export function compileConstraints(pod: Pod, hard: boolean): Constraint[] {
  const want = hard ? 'DoNotSchedule' : 'ScheduleAnyway';
  const out: Constraint[] = [];
  const labels = pod.metadata.labels ?? {};
  for (const c of pod.spec.topologySpreadConstraints ?? []) {
    if (c.whenUnsatisfiable !== want) continue;
    out.push(compileOne(c, labels));
  }
  return out;
}

function compileOne(c: TopologySpreadConstraint, labels: Record<string, string>): Constraint {
  let selector = compileSelector(c.labelSelector);
  if (selector && c.matchLabelKeys?.length) {
    selector = [...selector];
    for (const k of c.matchLabelKeys) if (k in labels) selector.push({ key: k, op: 'in', values: [labels[k]!] });
  }
  return {
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    selector,
    minDomains: c.minDomains ?? 1,
    honorAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
    honorTaints: (c.nodeTaintsPolicy ?? 'Ignore') === 'Honor',
  };
}

const hardEffects = (e: string) => e === 'NoSchedule' || e === 'NoExecute';

/** Whether a node's pods count towards the constraint's domains. */
export function nodeCounts(c: Constraint, pod: Pod, node: NodeInfo): boolean {
  const n = node.node;
  if (!n) return false;
  if (c.honorAffinity && !podMatchesNodeSelectorAndAffinity(pod, n)) return false;
  if (c.honorTaints && findUntoleratedTaint(n.spec?.taints, pod.spec.tolerations, hardEffects)) return false;
  return true;
}

export function hasAllKeys(constraints: readonly Constraint[], node: NodeInfo): boolean {
  const labels = node.node?.metadata.labels;
  if (!labels) return constraints.length === 0;
  for (const c of constraints) if (!(c.topologyKey in labels)) return false;
  return true;
}

export function countMatching(c: Constraint, namespace: string, node: NodeInfo): number {
  let n = 0;
  for (const p of node.pods) {
    if (p.namespace !== namespace || p.pod.metadata.deletionTimestamp) continue;
    if (selectorMatches(c.selector, p.pod.metadata.labels)) n++;
  }
  return n;
}
