import { isAlreadyExists } from '../../client/status.js';
import { computeHash } from '../shared/hash.js';
import { controllerOf, newControllerRef } from '../shared/owner-refs.js';
import { DEPLOYMENTS, REPLICASETS } from '../shared/resources.js';
import type { Deployment, ReplicaSet } from '../shared/types.js';
import type { DeploymentSyncContext } from './context.js';
import {
  POD_TEMPLATE_HASH,
  FAILED_RS_CREATE,
  FOUND_NEW_RS,
  NEW_RS_CREATED,
  REVISION,
  byRevision,
  equalIgnoreHash,
  findNewReplicaSet,
  hasProgressDeadline,
  getCondition,
  maxRevision,
  maxSurge,
  newCondition,
  newRSNewReplicas,
  replicasAnnotationsNeedUpdate,
  replicasOf,
  desiredOf,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
} from './util.js';

// Finding or creating a deployment's new ReplicaSet, scaling sets, and
// pruning old revisions beyond revisionHistoryLimit.

export interface ReplicaSetsView {
  newRS?: ReplicaSet;
  oldRSs: ReplicaSet[];
}

/** Writes the deployment's status (and, as upstream's status strategy allows, its annotations); keeps d's resourceVersion current. */
export async function updateDeploymentStatus(c: DeploymentSyncContext, d: Deployment): Promise<void> {
  const updated = await c.client.updateStatus<Deployment>(DEPLOYMENTS, d.metadata.namespace, d);
  d.metadata.resourceVersion = updated.metadata.resourceVersion;
}

/**
 * Splits the sets into the new one and the old ones, bringing the new one's
 * revision annotations up to date, or creating it when asked.
 */
export async function getAllReplicaSetsAndSyncRevision(c: DeploymentSyncContext, d: Deployment, sets: ReplicaSet[], create: boolean): Promise<ReplicaSetsView> {
  const existing = findNewReplicaSet(d, sets);
  const oldRSs = sets.filter((rs) => rs !== existing);
  const newRS = await getNewReplicaSet(c, d, existing, oldRSs, create);
  return { newRS, oldRSs };
}

async function getNewReplicaSet(c: DeploymentSyncContext, d: Deployment, existing: ReplicaSet | undefined, oldRSs: ReplicaSet[], create: boolean): Promise<ReplicaSet | undefined> {
  const newRevision = maxRevision(oldRSs) + 1;
  if (existing) {
    let rs = structuredClone(existing);
    const annotationsChanged = setNewReplicaSetAnnotations(d, rs, newRevision, true);
    const minReadyChanged = (rs.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
    if (annotationsChanged || minReadyChanged) {
      rs.spec = { ...rs.spec, minReadySeconds: d.spec?.minReadySeconds ?? 0 };
      rs = await c.client.update<ReplicaSet>(REPLICASETS, rs.metadata.namespace, rs);
    }
    let needsUpdate = setDeploymentRevision(d, rs.metadata.annotations?.[REVISION] ?? '');
    if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
      d.status ??= {};
      setCondition(d.status, newCondition('Progressing', 'True', FOUND_NEW_RS, `Found new replica set "${rs.metadata.name}"`, new Date(c.now())));
      needsUpdate = true;
    }
    if (needsUpdate) await updateDeploymentStatus(c, d);
    return rs;
  }
  if (!create) return undefined;

  const hash = computeHash(d.spec?.template, d.status?.collisionCount);
  const template = structuredClone(d.spec?.template ?? {});
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash } };
  const selector = structuredClone(d.spec?.selector ?? {});
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash };
  const newRS: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
      labels: template.metadata.labels,
    },
    spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
  };
  const replicas = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
  newRS.spec!.replicas = replicas;
  setNewReplicaSetAnnotations(d, newRS, newRevision, false);

  let created: ReplicaSet;
  try {
    created = await c.client.create<ReplicaSet>(REPLICASETS, d.metadata.namespace, newRS);
  } catch (err) {
    if (isAlreadyExists(err)) {
      const rs = await c.client.get<ReplicaSet>(REPLICASETS, d.metadata.namespace, newRS.metadata.name!);
      // Our own set that the cache has not shown yet: use it.
      if (controllerOf(rs)?.uid === d.metadata.uid && equalIgnoreHash(d.spec?.template, rs.spec?.template)) return rs;
      // A set of that name with another template: a hash collision. Count it so the next hash differs.
      d.status ??= {};
      d.status.collisionCount = (d.status.collisionCount ?? 0) + 1;
      await updateDeploymentStatus(c, d);
      throw new Error(`hash collision for replica set ${newRS.metadata.name}, collision count is now ${d.status.collisionCount}`);
    }
    const msg = `Failed to create new replica set "${newRS.metadata.name}": ${(err as Error).message}`;
    if (hasProgressDeadline(d)) {
      d.status ??= {};
      setCondition(d.status, newCondition('Progressing', 'False', FAILED_RS_CREATE, msg, new Date(c.now())));
      await updateDeploymentStatus(c, d).catch(() => undefined);
    }
    c.recorder.event(d, 'Warning', 'FailedCreate', msg);
    throw err;
  }
  if (replicas > 0) c.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${replicas}`);
  let needsUpdate = setDeploymentRevision(d, String(newRevision));
  if (hasProgressDeadline(d)) {
    d.status ??= {};
    setCondition(d.status, newCondition('Progressing', 'True', NEW_RS_CREATED, `Created new replica set "${created.metadata.name}"`, new Date(c.now())));
    needsUpdate = true;
  }
  if (needsUpdate) await updateDeploymentStatus(c, d);
  return created;
}

function setDeploymentRevision(d: Deployment, revision: string): boolean {
  if (d.metadata.annotations?.[REVISION] === revision) return false;
  d.metadata.annotations = { ...(d.metadata.annotations ?? {}), [REVISION]: revision };
  return true;
}

/** Sets rs to newScale (and refreshes its replica annotations); records ScalingReplicaSet when the size changed. */
export async function scaleReplicaSet(c: DeploymentSyncContext, rs: ReplicaSet, newScale: number, d: Deployment, operation: string): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  const sizeChanged = replicasOf(rs) !== newScale;
  const desired = desiredOf(d);
  const annotationsChanged = replicasAnnotationsNeedUpdate(rs, desired, desired + maxSurge(d));
  if (!sizeChanged && !annotationsChanged) return { scaled: false, rs };
  const copy = structuredClone(rs);
  const oldScale = replicasOf(rs);
  copy.spec = { ...copy.spec, replicas: newScale };
  setReplicasAnnotations(copy, desired, desired + maxSurge(d));
  const updated = await c.client.update<ReplicaSet>(REPLICASETS, copy.metadata.namespace, copy);
  if (sizeChanged) c.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${operation} replica set ${rs.metadata.name} from ${oldScale} to ${newScale}`);
  return { scaled: sizeChanged, rs: updated };
}

export async function scaleReplicaSetAndRecordEvent(c: DeploymentSyncContext, rs: ReplicaSet, newScale: number, d: Deployment): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  if (replicasOf(rs) === newScale) return { scaled: false, rs };
  return scaleReplicaSet(c, rs, newScale, d, replicasOf(rs) < newScale ? 'up' : 'down');
}

/** Deletes the oldest empty, settled old sets beyond revisionHistoryLimit. */
export async function cleanupDeployment(c: DeploymentSyncContext, oldRSs: ReplicaSet[], d: Deployment): Promise<void> {
  const limit = d.spec?.revisionHistoryLimit;
  if (limit === undefined || limit === null) return;
  const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = alive.length - limit;
  if (diff <= 0) return;
  alive.sort(byRevision);
  for (let i = 0; i < diff; i++) {
    const rs = alive[i]!;
    if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0) || rs.metadata.deletionTimestamp) continue;
    try {
      await c.client.delete(REPLICASETS, rs.metadata.namespace, rs.metadata.name!);
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
}
