import type { NodeToStatus } from './node-to-status.js';

// The message of upstream's FitError, which users read in the
// FailedScheduling event and the PodScheduled condition:
//   0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {a: b}. preemption: ...
// Reasons are counted over nodes and sorted as strings.

export const NO_NODE_AVAILABLE = (n: number) => `0/${n} nodes are available`;

export function fitErrorMessage(numAllNodes: number, statuses: NodeToStatus, preFilterMsg = '', postFilterMsg = ''): string {
  let msg = `${NO_NODE_AVAILABLE(numAllNodes)}:`;
  if (preFilterMsg) msg += ` ${preFilterMsg}.`;
  else {
    const counts = new Map<string, number>();
    for (const [, s] of statuses.entries()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const absent = numAllNodes - statuses.size;
    if (absent > 0) for (const r of statuses.absent.reasons) counts.set(r, (counts.get(r) ?? 0) + absent);
    const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort();
    if (parts.length) msg += ` ${parts.join(', ')}.`;
  }
  if (postFilterMsg) msg += ` ${postFilterMsg}.`;
  return msg;
}

export const DIAGNOSIS_ANNOTATION = 'scheduler.k8ts.io/diagnosis';
/** Nodes listed individually in the annotation; the rest are summarized. */
export const DIAGNOSIS_MAX_NODES = 50;

/**
 * The per-node breakdown k8ts adds beyond upstream: `node → Plugin: reason`,
 * as JSON in one annotation, bounded so a 5,000-node cluster cannot bloat the pod.
 */
export function diagnosisAnnotation(statuses: NodeToStatus, numAllNodes: number): string {
  const out: Record<string, string> = {};
  let n = 0;
  const names = [...statuses.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [node, s] of names) {
    if (n >= DIAGNOSIS_MAX_NODES) break;
    out[node] = `${s.plugin ? s.plugin + ': ' : ''}${s.message() || 'rejected'}`;
    n++;
  }
  const rest = numAllNodes - n;
  if (rest > 0) out['...'] = `${rest} more node(s) not listed`;
  return JSON.stringify(out);
}
