import type { Condition, Pod } from './types.js';

// Pod state as the workload controllers judge it (upstream's podutil).

export function getCondition<C extends Condition>(conds: C[] | undefined, type: string): C | undefined {
  return conds?.find((c) => c.type === type);
}

/** Counted toward a controller's replicas: not finished and not being deleted. */
export function isPodActive(p: Pod): boolean {
  const phase = p.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !p.metadata.deletionTimestamp;
}

export function isPodTerminating(p: Pod): boolean {
  return !!p.metadata.deletionTimestamp;
}

export function isPodReady(p: Pod): boolean {
  return getCondition(p.status?.conditions, 'Ready')?.status === 'True';
}

/** Ready for at least minReadySeconds (judged by the Ready condition's lastTransitionTime). */
export function isPodAvailable(p: Pod, minReadySeconds: number, nowMs: number): boolean {
  const c = getCondition(p.status?.conditions, 'Ready');
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= nowMs;
}

/** Milliseconds until a ready pod becomes available, or undefined if it is not ready. */
export function msUntilAvailable(p: Pod, minReadySeconds: number, nowMs: number): number | undefined {
  const c = getCondition(p.status?.conditions, 'Ready');
  if (c?.status !== 'True' || !c.lastTransitionTime) return undefined;
  return Math.max(0, Date.parse(c.lastTransitionTime) + minReadySeconds * 1000 - nowMs);
}

/** Every label of the selector's template present with the same value (fullyLabeledReplicas). */
export function hasAllLabels(have: Record<string, string> | undefined, want: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(want ?? {})) if (have?.[k] !== v) return false;
  return true;
}

export function podKey(p: Pod): string {
  return `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`;
}
