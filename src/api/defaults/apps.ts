// apps/v1 SetDefaults_* (Deployment, ReplicaSet, DaemonSet, StatefulSet).

import { defaultPodTemplate } from './pod.js';
import { defaultPVC } from './storage.js';
import { ensure, list, setIfEmpty, setIfUnset, type Obj } from './util.js';

export function defaultDeployment(obj: Obj): void {
  const spec = ensure(obj, 'spec');
  setIfUnset(spec, 'replicas', 1);
  const strategy = ensure(spec, 'strategy');
  setIfEmpty(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = ensure(strategy, 'rollingUpdate');
    setIfUnset(ru, 'maxUnavailable', '25%');
    setIfUnset(ru, 'maxSurge', '25%');
  }
  setIfUnset(spec, 'revisionHistoryLimit', 10);
  setIfUnset(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplate(spec.template);
}

export function defaultReplicaSet(obj: Obj): void {
  const spec = ensure(obj, 'spec');
  setIfUnset(spec, 'replicas', 1);
  defaultPodTemplate(spec.template);
}

export function defaultDaemonSet(obj: Obj): void {
  const spec = ensure(obj, 'spec');
  const us = ensure(spec, 'updateStrategy');
  setIfEmpty(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') {
    const ru = ensure(us, 'rollingUpdate');
    setIfUnset(ru, 'maxUnavailable', 1);
    setIfUnset(ru, 'maxSurge', 0);
  }
  setIfUnset(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(spec.template);
}

export function defaultStatefulSet(obj: Obj): void {
  const spec = ensure(obj, 'spec');
  setIfEmpty(spec, 'podManagementPolicy', 'OrderedReady');
  const us = ensure(spec, 'updateStrategy');
  setIfEmpty(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') {
    const ru = ensure(us, 'rollingUpdate');
    setIfUnset(ru, 'partition', 0);
  }
  const pol = ensure(spec, 'persistentVolumeClaimRetentionPolicy');
  setIfEmpty(pol, 'whenDeleted', 'Retain');
  setIfEmpty(pol, 'whenScaled', 'Retain');
  setIfUnset(spec, 'replicas', 1);
  setIfUnset(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(spec.template);
  for (const pvc of list(spec.volumeClaimTemplates)) {
    setIfEmpty(pvc, 'apiVersion', 'v1');
    setIfEmpty(pvc, 'kind', 'PersistentVolumeClaim');
    defaultPVC(pvc);
  }
}
