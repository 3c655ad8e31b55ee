import type { Taint, Toleration } from '../framework/types.js';

// Toleration matching as v1helper.TolerationsTolerateTaint: an empty key with
// Exists tolerates every taint; an empty effect matches every effect.

export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== 'Exists') return false;
  switch (t.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

export function toleratedBy(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  if (!tolerations) return false;
  for (const t of tolerations) if (tolerates(t, taint)) return true;
  return false;
}

/** The first taint with one of the effects that no toleration covers. */
export function findUntoleratedTaint(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined, effects: (e: Taint['effect']) => boolean): Taint | undefined {
  if (!taints) return undefined;
  for (const taint of taints) {
    if (!effects(taint.effect)) continue;
    if (!toleratedBy(tolerations, taint)) return taint;
  }
  return undefined;
}
