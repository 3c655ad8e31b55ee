import type { Pod } from './types.js';
import { getCondition, isPodActive, isPodReady } from './pod-utils.js';

// Which pods a scale-down removes first, in upstream's order
// (ActivePodsWithRanks, with PodDeletionCost and LogarithmicScaleDown on as
// in 1.32): pods that cost the least to lose go first.

export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(p: Pod): number {
  const v = p.metadata.annotations?.[POD_DELETION_COST];
  if (v === undefined || !/^[-+]?\d+$/.test(v.trim())) return 0;
  const n = Number(v);
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : 0;
}

function readyTime(p: Pod): number {
  if (!isPodReady(p)) return 0;
  const t = getCondition(p.status?.conditions, 'Ready')?.lastTransitionTime;
  return t ? Date.parse(t) : 0;
}

function maxRestarts(p: Pod): number {
  let m = 0;
  for (const c of p.status?.containerStatuses ?? []) m = Math.max(m, c.restartCount ?? 0);
  return m;
}

function created(p: Pod): number {
  return p.metadata.creationTimestamp ? Date.parse(p.metadata.creationTimestamp) : 0;
}

/** Newer first, and "unknown" before everything (upstream's afterOrZero). */
function afterOrZero(t1: number, t2: number): boolean {
  if (t1 === 0 || t2 === 0) return t1 === 0;
  return t1 > t2;
}

/** Compares ages on a log2 scale of nanoseconds, so pods of similar age count as equal and spread evenly. */
function logRankDiff(t1: number, t2: number, now: number): number {
  const rank = (t: number): number => {
    const dNs = (now - t) * 1e6;
    return dNs > 0 ? Math.floor(Math.log2(dNs)) : -1;
  };
  return rank(t1) - rank(t2);
}

function uidLess(a: Pod, b: Pod): boolean {
  return (a.metadata.uid ?? '') < (b.metadata.uid ?? '');
}

function timeLess(t1: number, t2: number, a: Pod, b: Pod, now: number): boolean {
  if (now === 0 || t1 === 0 || t2 === 0) return afterOrZero(t1, t2);
  const d = logRankDiff(t1, t2, now);
  if (d === 0) return uidLess(a, b);
  return d < 0;
}

/** True when a should be deleted before b. rank: how many related pods share the pod's node. */
export function deleteFirst(a: Pod, ra: number, b: Pod, rb: number, now: number): boolean {
  const na = a.spec?.nodeName ?? '';
  const nb = b.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '';
  const pa = PHASE_ORDINAL[a.status?.phase ?? ''] ?? 0;
  const pb = PHASE_ORDINAL[b.status?.phase ?? ''] ?? 0;
  if (pa !== pb) return pa < pb;
  const readyA = isPodReady(a);
  const readyB = isPodReady(b);
  if (readyA !== readyB) return !readyA;
  const ca = deletionCost(a);
  const cb = deletionCost(b);
  if (ca !== cb) return ca < cb;
  if (ra !== rb) return ra > rb;
  if (readyA && readyB) {
    const ta = readyTime(a);
    const tb = readyTime(b);
    if (ta !== tb) return timeLess(ta, tb, a, b, now);
  }
  const xa = maxRestarts(a);
  const xb = maxRestarts(b);
  if (xa !== xb) return xa > xb;
  const ka = created(a);
  const kb = created(b);
  if (ka !== kb) return timeLess(ka, kb, a, b, now);
  return false;
}

/** The `count` pods to delete first; related pods (of sibling ReplicaSets) make a crowded node's pods go earlier. */
export function podsToDelete(pods: Pod[], related: Pod[], count: number, now = Date.now()): Pod[] {
  if (count >= pods.length) return [...pods];
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const n = p.spec?.nodeName ?? '';
    onNode.set(n, (onNode.get(n) ?? 0) + 1);
  }
  const ranked = pods.map((p) => ({ p, r: onNode.get(p.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((x, y) => (deleteFirst(x.p, x.r, y.p, y.r, now) ? -1 : deleteFirst(y.p, y.r, x.p, x.r, now) ? 1 : 0));
  return ranked.slice(0, count).map((x) => x.p);
}
