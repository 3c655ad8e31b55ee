import type { Condition, Deployment, PodTemplateSpec, ReplicaSet } from '../shared/types.js';
import { nowTimestamp } from '../../api/types.js';
import { semanticEqual } from '../shared/semantic.js';

// The Deployment controller's arithmetic and bookkeeping, as upstream's
// deployment/util: surge and unavailability budgets, revision annotations,
// template comparison and the orderings replica sets are scaled in.

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const POD_TEMPLATE_HASH = 'pod-template-hash';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const NOT_COPIED = new Set([LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, 'deployment.kubernetes.io/error-selector-overlapping-with', 'deployment.kubernetes.io/selector-updated-at']);
/** Longest revision-history annotation kept, as upstream's MaxRevHistoryLengthInChars. */
const MAX_REV_HISTORY_CHARS = 2000;
const MAX_INT32 = 2147483647;

// Condition reasons.
export const REPLICASET_UPDATED = 'ReplicaSetUpdated';
export const FAILED_RS_CREATE = 'ReplicaSetCreateError';
export const NEW_RS_CREATED = 'NewReplicaSetCreated';
export const FOUND_NEW_RS = 'FoundNewReplicaSet';
export const NEW_RS_AVAILABLE = 'NewReplicaSetAvailable';
export const TIMED_OUT = 'ProgressDeadlineExceeded';
export const PAUSED = 'DeploymentPaused';
export const RESUMED = 'DeploymentResumed';
export const MIN_AVAILABLE = 'MinimumReplicasAvailable';
export const MIN_UNAVAILABLE = 'MinimumReplicasUnavailable';

export const replicasOf = (x: { spec?: { replicas?: number } } | undefined): number => x?.spec?.replicas ?? 0;
export const desiredOf = (d: Deployment): number => d.spec?.replicas ?? 1;

/** An int, or "N%" of total rounded up or down (upstream's GetScaledValueFromIntOrPercent). */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const pct = v.endsWith('%');
  const s = pct ? v.slice(0, -1) : v;
  if (!/^[-+]?\d+$/.test(s)) throw new Error(`invalid value for IntOrString: invalid value "${v}"`);
  const n = Number(s);
  if (!pct) return n;
  return roundUp ? Math.ceil((n * total) / 100) : Math.floor((n * total) / 100);
}

/** maxSurge rounds up, maxUnavailable down; both zero would deadlock, so unavailable becomes 1. */
export function resolveFenceposts(maxSurge: number | string | undefined, maxUnavailable: number | string | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, desiredOf(d)).surge;
}

export function maxUnavailable(d: Deployment): number {
  if (!isRollingUpdate(d) || desiredOf(d) === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  const { unavailable } = resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, desiredOf(d));
  return Math.min(unavailable, desiredOf(d));
}

export function revisionOf(obj: { metadata: { annotations?: Record<string, string> } }): number {
  const v = obj.metadata.annotations?.[REVISION];
  if (v === undefined) return 0;
  const n = Number(v);
  return Number.isInteger(n) ? n : 0;
}

export function maxRevision(sets: ReplicaSet[]): number {
  return sets.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

function annotationInt(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata.annotations?.[key];
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}

export const desiredAnnotation = (rs: ReplicaSet): number | undefined => annotationInt(rs, DESIRED_REPLICAS);
export const maxReplicasAnnotation = (rs: ReplicaSet): number | undefined => annotationInt(rs, MAX_REPLICAS);

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  return rs.metadata.annotations?.[DESIRED_REPLICAS] !== String(desired) || rs.metadata.annotations?.[MAX_REPLICAS] !== String(max);
}

/** Mutates rs; true if anything changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  if (!replicasAnnotationsNeedUpdate(rs, desired, max)) return false;
  rs.metadata.annotations = { ...(rs.metadata.annotations ?? {}), [DESIRED_REPLICAS]: String(desired), [MAX_REPLICAS]: String(max) };
  return true;
}

/**
 * Copies the deployment's own annotations onto its new replica set and
 * raises the set's revision to newRevision; a set that had a revision
 * before (a rollback to it) remembers it in revision-history.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean): boolean {
  let changed = false;
  const a = { ...(rs.metadata.annotations ?? {}) };
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (NOT_COPIED.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  const old = a[REVISION];
  const oldNum = old === undefined || old === '' ? 0 : Number(old);
  // An unparsable revision is left alone, as upstream does.
  if (!Number.isInteger(oldNum)) return false;
  const raised = oldNum < newRevision;
  if (raised) {
    a[REVISION] = String(newRevision);
    changed = true;
  }
  if (old !== undefined && raised) {
    const hist = a[REVISION_HISTORY];
    let next = hist ? `${hist},${old}` : old;
    while (next.length > MAX_REV_HISTORY_CHARS && next.includes(',')) next = next.slice(next.indexOf(',') + 1);
    a[REVISION_HISTORY] = next;
  }
  rs.metadata.annotations = a;
  if (!exists && setReplicasAnnotations(rs, desiredOf(d), desiredOf(d) + maxSurge(d))) changed = true;
  return changed;
}

/** Templates equal apart from the pod-template-hash label (upstream's EqualIgnoreHash). */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  const strip = (t: PodTemplateSpec | undefined): unknown => {
    const c = structuredClone(t ?? {});
    if (c.metadata?.labels) {
      delete c.metadata.labels[POD_TEMPLATE_HASH];
      if (Object.keys(c.metadata.labels).length === 0) delete c.metadata.labels;
    }
    return c;
  };
  return semanticEqual(strip(a), strip(b));
}

const created = (rs: ReplicaSet): number => (rs.metadata.creationTimestamp ? Date.parse(rs.metadata.creationTimestamp) : 0);

export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  return created(a) - created(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** Bigger first; among equals the older first (scale-down order). */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  return replicasOf(b) - replicasOf(a) || byCreation(a, b);
}

/** Bigger first; among equals the newer first (scale-up order). */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  return replicasOf(b) - replicasOf(a) || byCreation(b, a);
}

export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  return revisionOf(a) - revisionOf(b) || byCreation(a, b);
}

/** The oldest set whose template is the deployment's (the oldest wins if several match). */
export function findNewReplicaSet(d: Deployment, sets: ReplicaSet[]): ReplicaSet | undefined {
  return [...sets].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

export const filterActive = (sets: (ReplicaSet | undefined)[]): ReplicaSet[] => sets.filter((rs): rs is ReplicaSet => !!rs && replicasOf(rs) > 0);
export const specReplicas = (sets: (ReplicaSet | undefined)[]): number => sets.reduce((n, rs) => n + (rs ? replicasOf(rs) : 0), 0);
export const actualReplicas = (sets: (ReplicaSet | undefined)[]): number => sets.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
export const readyReplicas = (sets: (ReplicaSet | undefined)[]): number => sets.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
export const availableReplicas = (sets: (ReplicaSet | undefined)[]): number => sets.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);

/** How many replicas the new set should have now (upstream's NewRSNewReplicas). */
export function newRSNewReplicas(d: Deployment, all: ReplicaSet[], newRS: ReplicaSet): number {
  if (!isRollingUpdate(d)) return desiredOf(d);
  const desired = desiredOf(d);
  const maxTotal = desired + maxSurge(d);
  const current = specReplicas(all);
  if (current >= maxTotal) return replicasOf(newRS);
  const up = Math.min(maxTotal - current, desired - replicasOf(newRS));
  return replicasOf(newRS) + up;
}

/** The new set runs all the deployment's replicas and they are all available. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = desiredOf(d);
  return desiredAnnotation(rs) === desired && replicasOf(rs) === desired && (rs.status?.availableReplicas ?? 0) === desired;
}

/** For proportional scaling: the share of `toAdd` this set should take (upstream's GetProportion). */
export function proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (desiredOf(d) === 0) return -replicasOf(rs);
  const deploymentReplicas = desiredOf(d) + maxSurge(d);
  const annotated = maxReplicasAnnotation(rs) ?? d.status?.replicas ?? 0;
  // Go's math.Round: halves away from zero.
  const size = (replicasOf(rs) * deploymentReplicas) / annotated;
  const rounded = Math.sign(size) * Math.round(Math.abs(size));
  return rounded - replicasOf(rs);
}

// ---- conditions ----

export function getCondition(status: Deployment['status'], type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function newCondition(type: string, status: Condition['status'], reason: string, message: string, now = new Date()): Condition {
  const t = nowTimestamp(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

/** Same status and reason: leave as is. Same status: keep the transition time. */
export function setCondition(status: NonNullable<Deployment['status']>, c: Condition): void {
  const cur = getCondition(status, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return;
  const next = { ...c };
  if (cur && cur.status === c.status) next.lastTransitionTime = cur.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((x) => x.type !== c.type), next];
}

export function removeCondition(status: NonNullable<Deployment['status']>, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
  if (status.conditions.length === 0) delete status.conditions;
}

export function hasProgressDeadline(d: Deployment): boolean {
  const p = d.spec?.progressDeadlineSeconds;
  return p !== undefined && p !== null && p !== MAX_INT32;
}

export function deploymentComplete(d: Deployment, s: NonNullable<Deployment['status']>): boolean {
  const desired = desiredOf(d);
  return (s.updatedReplicas ?? 0) === desired && (s.replicas ?? 0) === desired && (s.availableReplicas ?? 0) === desired && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** Any step forward since the last status: more updated, fewer old, more ready or available. */
export function deploymentProgressing(d: Deployment, s: NonNullable<Deployment['status']>): boolean {
  const o = d.status ?? {};
  const oldOld = (o.replicas ?? 0) - (o.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (o.updatedReplicas ?? 0) || newOld < oldOld || (s.readyReplicas ?? 0) > (o.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (o.availableReplicas ?? 0);
}

export function deploymentTimedOut(d: Deployment, s: NonNullable<Deployment['status']>, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, 'Progressing');
  if (!c) return false;
  if (c.reason === NEW_RS_AVAILABLE) return false;
  if (c.reason === TIMED_OUT) return true;
  const from = c.lastUpdateTime ? Date.parse(c.lastUpdateTime) : NaN;
  if (Number.isNaN(from)) return false;
  return from + d.spec!.progressDeadlineSeconds! * 1000 < nowMs;
}
