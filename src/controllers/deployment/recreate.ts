import type { Deployment, Pod, ReplicaSet } from '../shared/types.js';
import type { DeploymentSyncContext } from './context.js';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent } from './replicasets.js';
import { syncRolloutStatus } from './status.js';
import { actualReplicas, deploymentComplete, desiredOf, filterActive } from './util.js';

// Recreate: scale every old set to zero, wait until none of their pods is
// running, then create and scale up the new set (upstream's recreate.go).

export async function rolloutRecreate(c: DeploymentSyncContext, d: Deployment, sets: ReplicaSet[], podsBySet: Map<string, Pod[]>): Promise<void> {
  let { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(c, d, sets, false);
  let scaledDown = false;
  for (const rs of filterActive(oldRSs)) {
    const r = await scaleReplicaSetAndRecordEvent(c, rs, 0, d);
    if (r.scaled) scaledDown = true;
  }
  if (scaledDown) {
    await syncRolloutStatus(c, [...oldRSs, newRS], newRS, d);
    return;
  }
  if (oldPodsRunning(newRS, oldRSs, podsBySet)) {
    await syncRolloutStatus(c, [...oldRSs, newRS], newRS, d);
    return;
  }
  if (!newRS) ({ newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(c, d, sets, true));
  const up = await scaleReplicaSetAndRecordEvent(c, newRS!, desiredOf(d), d);
  newRS = up.rs;
  if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(c, oldRSs, d);
  await syncRolloutStatus(c, [...oldRSs, newRS], newRS, d);
}

function oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[], podsBySet: Map<string, Pod[]>): boolean {
  if (actualReplicas(oldRSs) > 0) return true;
  for (const [uid, pods] of podsBySet) {
    if (newRS && newRS.metadata.uid === uid) continue;
    for (const p of pods) {
      const phase = p.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true;
    }
  }
  return false;
}
