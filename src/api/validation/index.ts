// Entry point: validateObject dispatches on the served kind, running the
// ObjectMeta rules first and then the kind's own rules, in upstream's order.

import type { ResourceInfo } from '../scheme/resources.js';
import type { KubeObject } from '../types.js';
import { forbidden, type FieldError } from './field.js';
import { validateObjectMeta } from './meta.js';
import { validatePodSpecForPod, validatePodUpdate } from './pod/pod.js';
import { validateDeployment } from './apps/deployment.js';
import { validateReplicaSet } from './apps/replicaset.js';
import { validateDaemonSet } from './apps/daemonset.js';
import { validateStatefulSet } from './apps/statefulset.js';
import { validateControllerRevision } from './apps/controllerrevision.js';
import { validateJob } from './batch/job.js';
import { validateCronJob } from './batch/cronjob.js';
import { validateReplicationController } from './core/replicationcontroller.js';
import { validateService } from './core/service.js';
import { validateConfigMap } from './core/configmap.js';
import { validateSecret } from './core/secret.js';
import { validateNamespace } from './core/namespace.js';
import { validateNode } from './core/node.js';
import { validatePersistentVolume } from './core/persistentvolume.js';
import { validatePersistentVolumeClaim } from './core/persistentvolumeclaim.js';
import { validateStorageClass } from './storage/storageclass.js';
import { validateEvent } from './core/event.js';
import { validateLease } from './core/lease.js';
import { validateEndpoints } from './core/endpoints.js';
import { validateEndpointSlice } from './core/endpointslice.js';
import { validateLimitRange, validateResourceQuota } from './core/quota.js';
import { validateBinding } from './core/binding.js';
import { validatePodDisruptionBudget } from './policy/poddisruptionbudget.js';
import { validatePriorityClass } from './scheduling/priorityclass.js';
import { asArray, asRecord, str } from './util.js';
import { validateHorizontalPodAutoscaler } from './autoscaling/hpa.js';
import { hpaFromV1 } from '../conversion/hpa.js';
import { validateCertificateSigningRequest } from './certificates/csr.js';

export type { FieldError } from './field.js';
export { validateObjectMeta, validateName, validatePathSegmentName } from './meta.js';
export { validateLabelSelector } from './selector.js';
export { validatePodEphemeralContainersUpdate } from './pod/ephemeral.js';

type KindValidator = (obj: KubeObject, old?: KubeObject) => FieldError[];

function podCreate(obj: KubeObject): FieldError[] {
  const errs = validatePodSpecForPod(obj);
  const spec = asRecord(obj.spec) ?? {};
  if (asArray(spec.ephemeralContainers).length > 0) errs.push(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  if (str(spec.nodeName) && asArray(spec.schedulingGates).length > 0) {
    errs.push(forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
  }
  return errs;
}

const VALIDATORS: Record<string, KindValidator> = {
  '/Pod': (obj, old) => (old ? validatePodUpdate(obj, old) : podCreate(obj)),
  '/Service': validateService,
  '/ConfigMap': validateConfigMap,
  '/Secret': validateSecret,
  '/Namespace': validateNamespace,
  '/Node': validateNode,
  '/PersistentVolume': validatePersistentVolume,
  '/PersistentVolumeClaim': validatePersistentVolumeClaim,
  'storage.k8s.io/StorageClass': validateStorageClass,
  '/Event': (obj, old) => validateEvent(obj, false, !old),
  '/Endpoints': validateEndpoints,
  '/ReplicationController': validateReplicationController,
  '/LimitRange': validateLimitRange,
  '/ResourceQuota': validateResourceQuota,
  '/Binding': validateBinding,
  'apps/Deployment': validateDeployment,
  'apps/ReplicaSet': validateReplicaSet,
  'apps/DaemonSet': validateDaemonSet,
  'apps/StatefulSet': validateStatefulSet,
  'apps/ControllerRevision': validateControllerRevision,
  'batch/Job': validateJob,
  'batch/CronJob': validateCronJob,
  'coordination.k8s.io/Lease': validateLease,
  'discovery.k8s.io/EndpointSlice': validateEndpointSlice,
  'events.k8s.io/Event': (obj, old) => validateEvent(obj, true, !old),
  'policy/PodDisruptionBudget': validatePodDisruptionBudget,
  'scheduling.k8s.io/PriorityClass': validatePriorityClass,
  'autoscaling/HorizontalPodAutoscaler': validateHorizontalPodAutoscaler,
  'certificates.k8s.io/CertificateSigningRequest': validateCertificateSigningRequest,
  // v1 objects are checked in their v2 form, as upstream checks the internal type.
  'autoscaling/v1/HorizontalPodAutoscaler': (obj) => validateHorizontalPodAutoscaler(hpaFromV1(obj)),
};

// Kinds whose registries skip ObjectMeta validation (legacy events check only their namespace).
const NO_META = new Set(['/Event', '/Binding']);

/** Validate a create (old undefined) or an update; the 422 causes, in upstream's order. */
export function validateObject(info: ResourceInfo, obj: KubeObject, old?: KubeObject): FieldError[] {
  const k = `${info.group}/${info.kind}`;
  const errs: FieldError[] = [];
  if (!NO_META.has(k)) errs.push(...validateObjectMeta(info, obj.metadata ?? {}, old?.metadata));
  const v = VALIDATORS[`${info.group}/${info.version}/${info.kind}`] ?? VALIDATORS[k];
  if (v) errs.push(...v(obj, old));
  return errs;
}
