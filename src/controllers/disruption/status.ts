import { nowTimestamp } from '../../api/types.js';
import { isPodReady } from '../shared/pod-utils.js';
import type { Pod } from '../shared/types.js';
import { DELETION_TIMEOUT_MS, DISRUPTION_ALLOWED, INSUFFICIENT_PODS, SUFFICIENT_PODS, type PdbCondition, type PdbStatus, type PodDisruptionBudget } from './types.js';

// The arithmetic of a PodDisruptionBudget's status, shared by the
// disruption controller and the eviction subresource.

/** GetScaledValueFromIntOrPercent, rounding up as the disruption controller does. */
export function scaledUp(v: number | string, total: number): number {
  if (typeof v === 'number') return v;
  const m = /^(-?\d+)%$/.exec(v) ?? /^(-?\d+)$/.exec(v);
  if (!m) throw new Error(`invalid value for IntOrString: invalid value "${v}"`);
  if (!v.endsWith('%')) return Number(m[1]);
  return Math.ceil((Number(m[1]) * total) / 100);
}

/** Whether the PDB's numbers come from the controllers' scale rather than the pods counted. */
export function needsScale(pdb: PodDisruptionBudget): boolean {
  const s = pdb.spec ?? {};
  return s.maxUnavailable !== undefined && s.maxUnavailable !== null ? true : typeof s.minAvailable === 'string';
}

/** expectedCount and desiredHealthy for the pods found and, when needed, the controllers' total scale. */
export function expectedAndDesired(pdb: PodDisruptionBudget, podCount: number, scale: number): { expected: number; desired: number } {
  const s = pdb.spec ?? {};
  if (s.maxUnavailable !== undefined && s.maxUnavailable !== null) {
    return { expected: scale, desired: Math.max(0, scale - scaledUp(s.maxUnavailable, scale)) };
  }
  if (typeof s.minAvailable === 'number') return { expected: podCount, desired: s.minAvailable };
  if (typeof s.minAvailable === 'string') return { expected: scale, desired: scaledUp(s.minAvailable, scale) };
  return { expected: podCount, desired: 0 };
}

/** Evictions still pending (not yet seen as deletions, not expired), and when to look again. */
export function buildDisruptedPods(pods: Pod[], pdb: PodDisruptionBudget, nowMs: number): { disrupted: Record<string, string>; recheckMs?: number } {
  const disrupted: Record<string, string> = {};
  let recheckMs: number | undefined;
  const byName = new Map(pods.map((p) => [p.metadata.name!, p]));
  for (const [name, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
    const p = byName.get(name);
    if (!p || p.metadata.deletionTimestamp) continue;
    const expires = Date.parse(at) + DELETION_TIMEOUT_MS;
    if (expires < nowMs) continue;
    disrupted[name] = at;
    if (recheckMs === undefined || expires < recheckMs) recheckMs = expires;
  }
  return { disrupted, recheckMs };
}

export function countHealthy(pods: Pod[], disrupted: Record<string, string>): number {
  return pods.filter((p) => !p.metadata.deletionTimestamp && !(p.metadata.name! in disrupted) && isPodReady(p)).length;
}

/** pdbhelper.UpdateDisruptionAllowedCondition: True/SufficientPods when a disruption is allowed. */
export function withAllowedCondition(status: PdbStatus, generation: number | undefined): PdbCondition[] {
  const allowed = status.disruptionsAllowed > 0;
  return setCondition(status.conditions, {
    type: DISRUPTION_ALLOWED,
    status: allowed ? 'True' : 'False',
    reason: allowed ? SUFFICIENT_PODS : INSUFFICIENT_PODS,
    message: '',
    observedGeneration: generation,
  });
}

/** meta.SetStatusCondition: the transition time moves only when the status does. */
export function setCondition(conds: PdbCondition[] | undefined, c: Omit<PdbCondition, 'lastTransitionTime'>): PdbCondition[] {
  const out = [...(conds ?? [])];
  const i = out.findIndex((x) => x.type === c.type);
  if (i < 0) {
    out.push({ ...c, lastTransitionTime: nowTimestamp() });
    return out;
  }
  const old = out[i]!;
  out[i] = { ...old, ...c, lastTransitionTime: old.status === c.status ? old.lastTransitionTime : nowTimestamp() };
  if (c.observedGeneration === undefined) delete out[i]!.observedGeneration;
  return out;
}
