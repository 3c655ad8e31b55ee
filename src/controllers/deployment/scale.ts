import type { Deployment, ReplicaSet } from '../shared/types.js';
import type { DeploymentSyncContext } from './context.js';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleReplicaSet, scaleReplicaSetAndRecordEvent } from './replicasets.js';
import { syncDeploymentStatus } from './status.js';
import { byCreation, bySizeNewer, bySizeOlder, desiredAnnotation, desiredOf, filterActive, isRollingUpdate, isSaturated, maxSurge, proportion, replicasOf, specReplicas } from './util.js';

// Scaling a deployment without rolling it: a paused deployment, or a
// replicas change in the middle of a rollout, where new replicas are spread
// over the active sets in proportion to their size (upstream's scale()).

/** The only active set, or the newest one if none is active; undefined if several are active. */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const olds = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = filterActive([...olds, newRS]);
  if (active.length === 0) return newRS ?? olds[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** New sizes per set name for proportional scaling of a rolling deployment. */
export function proportionalSizes(d: Deployment, sets: ReplicaSet[]): { sizes: Map<string, number>; ordered: ReplicaSet[]; operation: string } {
  const active = filterActive(sets);
  const allowed = desiredOf(d) > 0 ? desiredOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - specReplicas(active);
  let operation = '';
  if (toAdd > 0) {
    active.sort(bySizeNewer);
    operation = 'up';
  } else if (toAdd < 0) {
    active.sort(bySizeOlder);
    operation = 'down';
  }
  const sizes = new Map<string, number>();
  let added = 0;
  for (const rs of active) {
    if (toAdd !== 0) {
      const p = proportion(rs, d, toAdd, added);
      sizes.set(rs.metadata.name!, replicasOf(rs) + p);
      added += p;
    } else {
      sizes.set(rs.metadata.name!, replicasOf(rs));
    }
  }
  // Leftovers from rounding go to the largest set.
  if (toAdd !== 0 && active.length > 0) {
    const first = active[0]!.metadata.name!;
    sizes.set(first, Math.max(0, sizes.get(first)! + toAdd - added));
  }
  return { sizes, ordered: active, operation };
}

export async function scale(c: DeploymentSyncContext, d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
  const only = findActiveOrLatest(newRS, oldRSs);
  if (only) {
    if (replicasOf(only) !== desiredOf(d)) await scaleReplicaSetAndRecordEvent(c, only, desiredOf(d), d);
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of filterActive(oldRSs)) await scaleReplicaSetAndRecordEvent(c, old, 0, d);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const { sizes, ordered, operation } = proportionalSizes(d, [...oldRSs, ...(newRS ? [newRS] : [])]);
  for (const rs of ordered) await scaleReplicaSet(c, rs, sizes.get(rs.metadata.name!)!, d, operation);
}

/** An active set was scaled for a different desired count than the deployment's now. */
export async function isScalingEvent(c: DeploymentSyncContext, d: Deployment, sets: ReplicaSet[]): Promise<boolean> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(c, d, sets, false);
  for (const rs of filterActive([...oldRSs, newRS])) {
    const desired = desiredAnnotation(rs);
    if (desired === undefined) continue;
    if (desired !== desiredOf(d)) return true;
  }
  return false;
}

/** Scaling (and cleanup when paused) without moving the rollout forward. */
export async function syncScaleOnly(c: DeploymentSyncContext, d: Deployment, sets: ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(c, d, sets, false);
  await scale(c, d, newRS, oldRSs);
  if (d.spec?.paused) await cleanupDeployment(c, oldRSs, d);
  await syncDeploymentStatus(c, [...oldRSs, newRS], newRS, d);
}
