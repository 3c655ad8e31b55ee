// io.k8s.api.apps.v1: protobuf field number → JSON property, from the Go structs' protobuf tags.
// See ./table.ts for the notation (a trailing "!" keeps a zero value; "..." inlines a struct).

import type { PackageFields } from './table.js';

export const APPS_V1: PackageFields = {
  package: 'io.k8s.api.apps.v1',
  types: {
    ControllerRevision: { 1: 'metadata', 2: 'data', 3: 'revision!' },
    ControllerRevisionList: { 1: 'metadata', 2: 'items' },
    DaemonSet: { 1: 'metadata', 2: 'spec', 3: 'status' },
    DaemonSetCondition: { 1: 'type!', 2: 'status!', 3: 'lastTransitionTime', 4: 'reason', 5: 'message' },
    DaemonSetList: { 1: 'metadata', 2: 'items' },
    DaemonSetSpec: {
      1: 'selector', 2: 'template', 3: 'updateStrategy', 4: 'minReadySeconds', 6: 'revisionHistoryLimit!',
    },
    DaemonSetStatus: {
      1: 'currentNumberScheduled!', 2: 'numberMisscheduled!', 3: 'desiredNumberScheduled!', 4: 'numberReady!',
      5: 'observedGeneration', 6: 'updatedNumberScheduled', 7: 'numberAvailable', 8: 'numberUnavailable',
      9: 'collisionCount!', 10: 'conditions',
    },
    DaemonSetUpdateStrategy: { 1: 'type', 2: 'rollingUpdate' },
    Deployment: { 1: 'metadata', 2: 'spec', 3: 'status' },
    DeploymentCondition: {
      1: 'type!', 2: 'status!', 6: 'lastUpdateTime', 7: 'lastTransitionTime', 4: 'reason', 5: 'message',
    },
    DeploymentList: { 1: 'metadata', 2: 'items' },
    DeploymentSpec: {
      1: 'replicas!', 2: 'selector', 3: 'template', 4: 'strategy', 5: 'minReadySeconds', 6: 'revisionHistoryLimit!',
      7: 'paused', 9: 'progressDeadlineSeconds!',
    },
    DeploymentStatus: {
      1: 'observedGeneration', 2: 'replicas', 3: 'updatedReplicas', 7: 'readyReplicas', 4: 'availableReplicas',
      5: 'unavailableReplicas', 9: 'terminatingReplicas!', 6: 'conditions', 8: 'collisionCount!',
    },
    DeploymentStrategy: { 1: 'type', 2: 'rollingUpdate' },
    ReplicaSet: { 1: 'metadata', 2: 'spec', 3: 'status' },
    ReplicaSetCondition: { 1: 'type!', 2: 'status!', 3: 'lastTransitionTime', 4: 'reason', 5: 'message' },
    ReplicaSetList: { 1: 'metadata', 2: 'items' },
    ReplicaSetSpec: { 1: 'replicas!', 4: 'minReadySeconds', 2: 'selector', 3: 'template' },
    ReplicaSetStatus: {
      1: 'replicas!', 2: 'fullyLabeledReplicas', 4: 'readyReplicas', 5: 'availableReplicas', 7: 'terminatingReplicas!',
      3: 'observedGeneration', 6: 'conditions',
    },
    RollingUpdateDaemonSet: { 1: 'maxUnavailable', 2: 'maxSurge' },
    RollingUpdateDeployment: { 1: 'maxUnavailable', 2: 'maxSurge' },
    RollingUpdateStatefulSetStrategy: { 1: 'partition!', 2: 'maxUnavailable' },
    StatefulSet: { 1: 'metadata', 2: 'spec', 3: 'status' },
    StatefulSetCondition: { 1: 'type!', 2: 'status!', 3: 'lastTransitionTime', 4: 'reason', 5: 'message' },
    StatefulSetList: { 1: 'metadata', 2: 'items' },
    StatefulSetOrdinals: { 1: 'start!' },
    StatefulSetPersistentVolumeClaimRetentionPolicy: { 1: 'whenDeleted', 2: 'whenScaled' },
    StatefulSetSpec: {
      1: 'replicas!', 2: 'selector', 3: 'template', 4: 'volumeClaimTemplates', 5: 'serviceName!',
      6: 'podManagementPolicy', 7: 'updateStrategy', 8: 'revisionHistoryLimit!', 9: 'minReadySeconds',
      10: 'persistentVolumeClaimRetentionPolicy', 11: 'ordinals',
    },
    StatefulSetStatus: {
      1: 'observedGeneration', 2: 'replicas!', 3: 'readyReplicas', 4: 'currentReplicas', 5: 'updatedReplicas',
      6: 'currentRevision', 7: 'updateRevision', 9: 'collisionCount!', 10: 'conditions', 11: 'availableReplicas!',
    },
    StatefulSetUpdateStrategy: { 1: 'type', 2: 'rollingUpdate' },
  },
};
