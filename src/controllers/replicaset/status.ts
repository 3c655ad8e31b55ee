import type { Condition, Pod, ReplicaSet } from '../shared/types.js';
import { hasAllLabels, isPodAvailable, isPodReady } from '../shared/pod-utils.js';
import { nowTimestamp } from '../../api/types.js';

// ReplicaSet status as upstream's calculateStatus: counts over the pods the
// set controls, and a ReplicaFailure condition while creating or deleting
// pods fails.

export type ReplicaSetStatus = NonNullable<ReplicaSet['status']>;

export function calculateStatus(rs: ReplicaSet, pods: Pod[], manageError: Error | undefined, nowMs: number): ReplicaSetStatus {
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const templateLabels = rs.spec?.template?.metadata?.labels;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const p of pods) {
    if (hasAllLabels(p.metadata.labels, templateLabels)) fullyLabeled++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReady, nowMs)) available++;
    }
  }
  let conditions: Condition[] | undefined = rs.status?.conditions ? [...rs.status.conditions] : undefined;
  const failure = conditions?.find((c) => c.type === 'ReplicaFailure');
  if (manageError && !failure) {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    conditions = [...(conditions ?? []), { type: 'ReplicaFailure', status: 'True', lastTransitionTime: nowTimestamp(new Date(nowMs)), reason, message: manageError.message }];
  } else if (!manageError && failure) {
    conditions = conditions!.filter((c) => c.type !== 'ReplicaFailure');
  }
  const status: ReplicaSetStatus = { replicas: pods.length };
  if (fullyLabeled) status.fullyLabeledReplicas = fullyLabeled;
  if (ready) status.readyReplicas = ready;
  if (available) status.availableReplicas = available;
  if (rs.status?.observedGeneration) status.observedGeneration = rs.status.observedGeneration;
  if (conditions?.length) status.conditions = conditions;
  return status;
}

/** Nothing to write: same counts, same conditions, and this generation already observed. */
export function statusUnchanged(rs: ReplicaSet, s: ReplicaSetStatus): boolean {
  const o = rs.status ?? {};
  return (
    (o.replicas ?? 0) === (s.replicas ?? 0) &&
    (o.fullyLabeledReplicas ?? 0) === (s.fullyLabeledReplicas ?? 0) &&
    (o.readyReplicas ?? 0) === (s.readyReplicas ?? 0) &&
    (o.availableReplicas ?? 0) === (s.availableReplicas ?? 0) &&
    (rs.metadata.generation ?? 0) === (o.observedGeneration ?? 0) &&
    JSON.stringify(o.conditions ?? []) === JSON.stringify(s.conditions ?? [])
  );
}
