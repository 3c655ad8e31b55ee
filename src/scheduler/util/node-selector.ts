import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod } from '../framework/types.js';

// Node selector terms as upstream's nodeaffinity helper: terms are ORed,
// requirements inside a term ANDed; matchFields knows only metadata.name;
// a term with no requirements matches nothing.

function matchRequirement(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const has = value !== undefined;
  switch (r.operator) {
    case 'In':
      return has && (r.values ?? []).includes(value);
    case 'NotIn':
      return !has || !(r.values ?? []).includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || (r.values ?? []).length !== 1) return false;
      const n = Number.parseInt(value, 10);
      const bound = Number.parseInt(r.values![0]!, 10);
      if (Number.isNaN(n) || Number.isNaN(bound)) return false;
      return r.operator === 'Gt' ? n > bound : n < bound;
    }
    default:
      return false;
  }
}

export function matchesTerm(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels;
  for (const r of exprs) if (!matchRequirement(r, labels?.[r.key])) return false;
  for (const r of fields) {
    if (r.key !== 'metadata.name') return false;
    if (!matchRequirement(r, node.metadata.name)) return false;
  }
  return true;
}

export function matchesAnyTerm(terms: readonly NodeSelectorTerm[], node: Node): boolean {
  for (const t of terms) if (matchesTerm(t, node)) return true;
  return false;
}

/** The pod's nodeSelector and required node affinity, as GetRequiredNodeAffinity(pod).Match(node). */
export function podMatchesNodeSelectorAndAffinity(pod: Pod, node: Node): boolean {
  const sel = pod.spec.nodeSelector;
  if (sel) {
    const labels = node.metadata.labels ?? {};
    for (const k in sel) if (labels[k] !== sel[k]) return false;
  }
  const req = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (req) return matchesAnyTerm(req.nodeSelectorTerms ?? [], node);
  return true;
}
