import type { Deployment, ReplicaSet } from '../shared/types.js';
import type { DeploymentSyncContext } from './context.js';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent } from './replicasets.js';
import { syncRolloutStatus } from './status.js';
import { availableReplicas, byCreation, deploymentComplete, desiredOf, filterActive, maxUnavailable, newRSNewReplicas, replicasOf, specReplicas } from './util.js';

// RollingUpdate: grow the new set while the total stays within
// replicas + maxSurge, shrink old sets while available pods stay at or above
// replicas - maxUnavailable (upstream's rolling.go).

export async function rolloutRolling(c: DeploymentSyncContext, d: Deployment, sets: ReplicaSet[]): Promise<void> {
  const view = await getAllReplicaSetsAndSyncRevision(c, d, sets, true);
  let newRS = view.newRS!;
  const oldRSs = view.oldRSs;
  const up = await reconcileNewReplicaSet(c, [...oldRSs, newRS], newRS, d);
  if (up.scaled) {
    await syncRolloutStatus(c, [...oldRSs, up.rs], up.rs, d);
    return;
  }
  newRS = up.rs;
  const down = await reconcileOldReplicaSets(c, [...oldRSs, newRS], filterActive(oldRSs), newRS, d);
  if (down) {
    await syncRolloutStatus(c, [...oldRSs, newRS], newRS, d);
    return;
  }
  if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(c, oldRSs, d);
  await syncRolloutStatus(c, [...oldRSs, newRS], newRS, d);
}

async function reconcileNewReplicaSet(c: DeploymentSyncContext, all: ReplicaSet[], newRS: ReplicaSet, d: Deployment): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  if (replicasOf(newRS) === desiredOf(d)) return { scaled: false, rs: newRS };
  if (replicasOf(newRS) > desiredOf(d)) return scaleReplicaSetAndRecordEvent(c, newRS, desiredOf(d), d);
  return scaleReplicaSetAndRecordEvent(c, newRS, newRSNewReplicas(d, all, newRS), d);
}

/** How many old replicas may go now without dropping below minimum availability. */
export function maxScaledDown(d: Deployment, all: ReplicaSet[], newRS: ReplicaSet): number {
  const minAvailable = desiredOf(d) - maxUnavailable(d);
  const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
  return specReplicas(all) - minAvailable - newUnavailable;
}

async function reconcileOldReplicaSets(c: DeploymentSyncContext, all: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet, d: Deployment): Promise<boolean> {
  if (specReplicas(oldRSs) === 0) return false;
  const budget = maxScaledDown(d, all, newRS);
  if (budget <= 0) return false;
  // Unhealthy old pods go first: removing them costs no availability.
  const { sets: cleaned, count: cleanedUp } = await cleanupUnhealthyReplicas(c, oldRSs, d, budget);
  const scaledDown = await scaleDownOldForRollingUpdate(c, [...cleaned, newRS], cleaned, d);
  return cleanedUp + scaledDown > 0;
}

async function cleanupUnhealthyReplicas(c: DeploymentSyncContext, oldRSs: ReplicaSet[], d: Deployment, maxCleanup: number): Promise<{ sets: ReplicaSet[]; count: number }> {
  const sets = [...oldRSs].sort(byCreation);
  let total = 0;
  for (let i = 0; i < sets.length; i++) {
    if (total >= maxCleanup) break;
    const rs = sets[i]!;
    const unhealthy = replicasOf(rs) - (rs.status?.availableReplicas ?? 0);
    if (replicasOf(rs) === 0 || unhealthy <= 0) continue;
    const n = Math.min(maxCleanup - total, unhealthy);
    const r = await scaleReplicaSetAndRecordEvent(c, rs, replicasOf(rs) - n, d);
    total += n;
    sets[i] = r.rs;
  }
  return { sets, count: total };
}

/** Number of old replicas to remove now: available pods above minimum availability (oldest sets first). */
export function rollingScaleDownPlan(d: Deployment, all: ReplicaSet[], oldRSs: ReplicaSet[]): Map<ReplicaSet, number> {
  const plan = new Map<ReplicaSet, number>();
  const minAvailable = desiredOf(d) - maxUnavailable(d);
  const available = availableReplicas(all);
  if (available <= minAvailable) return plan;
  const toRemove = available - minAvailable;
  let removed = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (removed >= toRemove) break;
    if (replicasOf(rs) === 0) continue;
    const n = Math.min(replicasOf(rs), toRemove - removed);
    plan.set(rs, replicasOf(rs) - n);
    removed += n;
  }
  return plan;
}

async function scaleDownOldForRollingUpdate(c: DeploymentSyncContext, all: ReplicaSet[], oldRSs: ReplicaSet[], d: Deployment): Promise<number> {
  let total = 0;
  for (const [rs, size] of rollingScaleDownPlan(d, all, oldRSs)) {
    await scaleReplicaSetAndRecordEvent(c, rs, size, d);
    total += replicasOf(rs) - size;
  }
  return total;
}
