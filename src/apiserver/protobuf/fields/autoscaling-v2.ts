// io.k8s.api.autoscaling.v2: protobuf field number → JSON property, from the Go structs' protobuf tags.
// See ./table.ts for the notation (a trailing "!" keeps a zero value; "..." inlines a struct).

import type { PackageFields } from './table.js';

export const AUTOSCALING_V2: PackageFields = {
  package: 'io.k8s.api.autoscaling.v2',
  types: {
    ContainerResourceMetricSource: { 1: 'name!', 2: 'target', 3: 'container!' },
    ContainerResourceMetricStatus: { 1: 'name!', 2: 'current', 3: 'container!' },
    CrossVersionObjectReference: { 1: 'kind!', 2: 'name!', 3: 'apiVersion' },
    ExternalMetricSource: { 1: 'metric', 2: 'target' },
    ExternalMetricStatus: { 1: 'metric', 2: 'current' },
    HorizontalPodAutoscaler: { 1: 'metadata', 2: 'spec', 3: 'status' },
    HorizontalPodAutoscalerBehavior: { 1: 'scaleUp', 2: 'scaleDown' },
    HorizontalPodAutoscalerCondition: { 1: 'type!', 2: 'status!', 3: 'lastTransitionTime', 4: 'reason', 5: 'message' },
    HorizontalPodAutoscalerList: { 1: 'metadata', 2: 'items' },
    HorizontalPodAutoscalerSpec: {
      1: 'scaleTargetRef', 2: 'minReplicas!', 3: 'maxReplicas!', 4: 'metrics', 5: 'behavior',
    },
    HorizontalPodAutoscalerStatus: {
      1: 'observedGeneration!', 2: 'lastScaleTime', 3: 'currentReplicas', 4: 'desiredReplicas!', 5: 'currentMetrics',
      6: 'conditions',
    },
    HPAScalingPolicy: { 1: 'type!', 2: 'value!', 3: 'periodSeconds!' },
    HPAScalingRules: { 3: 'stabilizationWindowSeconds!', 1: 'selectPolicy!', 2: 'policies', 4: 'tolerance' },
    MetricIdentifier: { 1: 'name!', 2: 'selector' },
    MetricSpec: { 1: 'type!', 2: 'object', 3: 'pods', 4: 'resource', 7: 'containerResource', 5: 'external' },
    MetricStatus: { 1: 'type!', 2: 'object', 3: 'pods', 4: 'resource', 7: 'containerResource', 5: 'external' },
    MetricTarget: { 1: 'type!', 2: 'value', 3: 'averageValue', 4: 'averageUtilization!' },
    MetricValueStatus: { 1: 'value', 2: 'averageValue', 3: 'averageUtilization!' },
    ObjectMetricSource: { 1: 'describedObject', 2: 'target', 3: 'metric' },
    ObjectMetricStatus: { 1: 'metric', 2: 'current', 3: 'describedObject' },
    PodsMetricSource: { 1: 'metric', 2: 'target' },
    PodsMetricStatus: { 1: 'metric', 2: 'current' },
    ResourceMetricSource: { 1: 'name!', 2: 'target' },
    ResourceMetricStatus: { 1: 'name!', 2: 'current' },
  },
};
