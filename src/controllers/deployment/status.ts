import type { Condition, Deployment, ReplicaSet } from '../shared/types.js';
import type { DeploymentSyncContext } from './context.js';
import { updateDeploymentStatus } from './replicasets.js';
import {
  MIN_AVAILABLE,
  MIN_UNAVAILABLE,
  NEW_RS_AVAILABLE,
  REPLICASET_UPDATED,
  TIMED_OUT,
  actualReplicas,
  availableReplicas,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  desiredOf,
  getCondition,
  hasProgressDeadline,
  maxUnavailable,
  newCondition,
  readyReplicas,
  removeCondition,
  setCondition,
  specReplicas,
} from './util.js';

// Deployment status from its replica sets, and the Progressing condition
// that `kubectl rollout status` relies on to tell a stuck rollout from a
// slow one (upstream's sync.go calculateStatus and progress.go).

export type DeploymentStatus = NonNullable<Deployment['status']>;

export function calculateStatus(all: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment, nowMs: number): DeploymentStatus {
  const available = availableReplicas(all);
  const unavailable = Math.max(0, specReplicas(all) - available);
  const s: DeploymentStatus = {};
  if (d.metadata.generation) s.observedGeneration = d.metadata.generation;
  const put = (k: 'replicas' | 'updatedReplicas' | 'readyReplicas' | 'availableReplicas' | 'unavailableReplicas', v: number): void => {
    if (v) s[k] = v;
  };
  put('replicas', actualReplicas(all));
  put('updatedReplicas', actualReplicas([newRS]));
  put('readyReplicas', readyReplicas(all));
  put('availableReplicas', available);
  put('unavailableReplicas', unavailable);
  if (d.status?.conditions) s.conditions = d.status.conditions.map((c) => ({ ...c }));
  if (d.status?.collisionCount !== undefined) s.collisionCount = d.status.collisionCount;
  if (available >= desiredOf(d) - maxUnavailable(d)) {
    setCondition(s, newCondition('Available', 'True', MIN_AVAILABLE, 'Deployment has minimum availability.', new Date(nowMs)));
  } else {
    setCondition(s, newCondition('Available', 'False', MIN_UNAVAILABLE, 'Deployment does not have minimum availability.', new Date(nowMs)));
  }
  return s;
}

function sameStatus(a: DeploymentStatus | undefined, b: DeploymentStatus): boolean {
  const norm = (s: DeploymentStatus | undefined): string =>
    JSON.stringify([
      s?.observedGeneration ?? 0,
      s?.replicas ?? 0,
      s?.updatedReplicas ?? 0,
      s?.readyReplicas ?? 0,
      s?.availableReplicas ?? 0,
      s?.unavailableReplicas ?? 0,
      s?.collisionCount ?? null,
      (s?.conditions ?? []).map((c: Condition) => [c.type, c.status, c.reason ?? '', c.message ?? '', c.lastUpdateTime ?? '', c.lastTransitionTime ?? '']),
    ]);
  return norm(a) === norm(b);
}

/** Status only: counts and Available, no Progressing changes (scaling, paused). */
export async function syncDeploymentStatus(c: DeploymentSyncContext, all: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment): Promise<void> {
  const s = calculateStatus(all, newRS, d, c.now());
  if (sameStatus(d.status, s)) return;
  d.status = s;
  await updateDeploymentStatus(c, d);
}

/** Status plus the Progressing condition: complete, progressing, or past its deadline. */
export async function syncRolloutStatus(c: DeploymentSyncContext, all: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment): Promise<void> {
  const now = c.now();
  const s = calculateStatus(all, newRS, d, now);
  if (!hasProgressDeadline(d)) removeCondition(s, 'Progressing');
  const cur = getCondition(d.status, 'Progressing');
  const complete = (s.replicas ?? 0) === (s.updatedReplicas ?? 0) && cur?.reason === NEW_RS_AVAILABLE;
  if (hasProgressDeadline(d) && !complete) {
    const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
    if (deploymentComplete(d, s)) {
      setCondition(s, newCondition('Progressing', 'True', NEW_RS_AVAILABLE, `${subject} has successfully progressed.`, new Date(now)));
    } else if (deploymentProgressing(d, s)) {
      // Progress refreshes lastUpdateTime even with an unchanged reason, which is what resets the deadline.
      const cond = newCondition('Progressing', 'True', REPLICASET_UPDATED, `${subject} is progressing.`, new Date(now));
      if (cur?.status === 'True') cond.lastTransitionTime = cur.lastTransitionTime;
      removeCondition(s, 'Progressing');
      setCondition(s, cond);
    } else if (deploymentTimedOut(d, s, now)) {
      setCondition(s, newCondition('Progressing', 'False', TIMED_OUT, `${subject} has timed out progressing.`, new Date(now)));
    }
  }
  const failure = replicaFailure(all, newRS);
  if (failure) setCondition(s, failure);
  else removeCondition(s, 'ReplicaFailure');
  if (sameStatus(d.status, s)) {
    requeueStuckDeployment(c, d, s, now);
    return;
  }
  d.status = s;
  await updateDeploymentStatus(c, d);
}

/** A ReplicaFailure of the new set (else of any old set) surfaces on the deployment. */
function replicaFailure(all: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Condition | undefined {
  const fromSet = (rs: ReplicaSet | undefined): Condition | undefined => {
    const c = rs?.status?.conditions?.find((x) => x.type === 'ReplicaFailure');
    if (!c) return undefined;
    return { type: 'ReplicaFailure', status: c.status, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message };
  };
  const n = fromSet(newRS);
  if (n) return n;
  for (const rs of all) {
    if (rs === newRS) continue;
    const c = fromSet(rs);
    if (c) return c;
  }
  return undefined;
}

/** Nothing changed, but the deadline may pass later with no event to wake us: look again then. */
function requeueStuckDeployment(c: DeploymentSyncContext, d: Deployment, s: DeploymentStatus, now: number): void {
  const cur = getCondition(s, 'Progressing');
  if (!hasProgressDeadline(d) || !cur) return;
  if (cur.reason === NEW_RS_AVAILABLE || cur.reason === TIMED_OUT) return;
  if (deploymentComplete(d, s)) return;
  const from = cur.lastUpdateTime ? Date.parse(cur.lastUpdateTime) : now;
  const after = from + d.spec!.progressDeadlineSeconds! * 1000 - now;
  c.enqueueAfter(d, Math.max(after, 0) + 1000);
}
