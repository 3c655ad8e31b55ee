// applyDefaults: upstream's SetDefaults_* for the served v1 kinds, plus the
// fields registries fill on create that clients see as defaults.

import type { ResourceInfo } from '../scheme/resources.js';
import type { KubeObject } from '../types.js';
import { defaultDaemonSet, defaultDeployment, defaultReplicaSet, defaultStatefulSet } from './apps.js';
import { defaultCronJob, defaultJob } from './batch.js';
import {
  defaultEndpointSlice, defaultEndpoints, defaultLimitRange, defaultNamespace, defaultNode, defaultReplicationController, defaultResourceQuota, defaultSecret,
} from './core.js';
import { defaultPod } from './pod.js';
import { defaultService } from './service.js';
import { defaultPV, defaultPVC, defaultStorageClass } from './storage.js';
import type { Obj } from './util.js';
import { defaultHorizontalPodAutoscalerV1, defaultHorizontalPodAutoscalerV2 } from './autoscaling.js';

export { imageTag } from './pod.js';

const DEFAULTERS: Record<string, (obj: Obj) => void> = {
  '/Pod': defaultPod,
  '/Service': defaultService,
  '/Namespace': defaultNamespace,
  '/Secret': defaultSecret,
  '/Node': defaultNode,
  '/Endpoints': defaultEndpoints,
  '/ReplicationController': defaultReplicationController,
  '/PersistentVolume': defaultPV,
  '/PersistentVolumeClaim': defaultPVC,
  '/LimitRange': defaultLimitRange,
  '/ResourceQuota': defaultResourceQuota,
  'apps/Deployment': defaultDeployment,
  'apps/ReplicaSet': defaultReplicaSet,
  'apps/DaemonSet': defaultDaemonSet,
  'apps/StatefulSet': defaultStatefulSet,
  'storage.k8s.io/StorageClass': defaultStorageClass,
  'batch/Job': defaultJob,
  'batch/CronJob': defaultCronJob,
  'discovery.k8s.io/EndpointSlice': defaultEndpointSlice,
  'scheduling.k8s.io/PriorityClass': (obj) => {
    if (obj.preemptionPolicy === undefined || obj.preemptionPolicy === null) obj.preemptionPolicy = 'PreemptLowerPriority';
  },
  // Kinds served in more than one version default per version: group/version/kind.
  'autoscaling/v2/HorizontalPodAutoscaler': defaultHorizontalPodAutoscalerV2,
  'autoscaling/v1/HorizontalPodAutoscaler': defaultHorizontalPodAutoscalerV1,
};

/** Fill in defaults in place. */
export function applyDefaults(info: ResourceInfo, obj: KubeObject): void {
  if (!obj.metadata) obj.metadata = {};
  (DEFAULTERS[`${info.group}/${info.version}/${info.kind}`] ?? DEFAULTERS[`${info.group}/${info.kind}`])?.(obj as Obj);
}
