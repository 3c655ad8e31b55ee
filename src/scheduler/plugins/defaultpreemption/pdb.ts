import type { PodInfo } from '../../framework/pod-info.js';
import type { PodDisruptionBudget } from '../../../controllers/disruption/types.js';
import { compileSelector, selectorMatches } from '../../util/selectors.js';

// Upstream's filterPodsWithPDBViolation: walking the potential victims most
// important first, each PodDisruptionBudget that selects a victim spends one
// of its allowed disruptions; a victim that would take a budget below zero
// violates it. Pods the budget already lists as disrupted (an eviction the API
// server admitted) are not charged again.

export function splitByPdbViolation(victims: readonly PodInfo[], pdbs: readonly PodDisruptionBudget[]): { violating: PodInfo[]; nonViolating: PodInfo[] } {
  const allowed = pdbs.map((b) => b.status?.disruptionsAllowed ?? 0);
  // Upstream skips budgets whose selector is nil or empty: for preemption they match nothing.
  const selectors = pdbs.map((b) => {
    const s = b.spec?.selector;
    const empty = !s || ((s.matchLabels === undefined || Object.keys(s.matchLabels).length === 0) && !(s.matchExpressions?.length));
    if (empty) return null;
    try {
      return compileSelector(s);
    } catch {
      return null; // an invalid selector selects nothing, as upstream
    }
  });
  const violating: PodInfo[] = [];
  const nonViolating: PodInfo[] = [];
  for (const v of victims) {
    const labels = v.pod.metadata.labels;
    let violated = false;
    if (labels && Object.keys(labels).length > 0) {
      for (let i = 0; i < pdbs.length; i++) {
        const b = pdbs[i]!;
        if (b.metadata.namespace !== v.pod.metadata.namespace) continue;
        if (!selectorMatches(selectors[i]!, labels)) continue;
        if (b.status?.disruptedPods?.[v.pod.metadata.name!] !== undefined) continue;
        allowed[i]!--;
        if (allowed[i]! < 0) violated = true;
      }
    }
    (violated ? violating : nonViolating).push(v);
  }
  return { violating, nonViolating };
}
