// io.k8s.api.autoscaling.v1: protobuf field number → JSON property, from the Go structs' protobuf tags.
// See ./table.ts for the notation (a trailing "!" keeps a zero value; "..." inlines a struct).

import type { PackageFields } from './table.js';

export const AUTOSCALING_V1: PackageFields = {
  package: 'io.k8s.api.autoscaling.v1',
  types: {
    CrossVersionObjectReference: { 1: 'kind!', 2: 'name!', 3: 'apiVersion' },
    HorizontalPodAutoscaler: { 1: 'metadata', 2: 'spec', 3: 'status' },
    HorizontalPodAutoscalerList: { 1: 'metadata', 2: 'items' },
    HorizontalPodAutoscalerSpec: {
      1: 'scaleTargetRef', 2: 'minReplicas!', 3: 'maxReplicas!', 4: 'targetCPUUtilizationPercentage!',
    },
    HorizontalPodAutoscalerStatus: {
      1: 'observedGeneration!', 2: 'lastScaleTime', 3: 'currentReplicas!', 4: 'desiredReplicas!',
      5: 'currentCPUUtilizationPercentage!',
    },
    Scale: { 1: 'metadata', 2: 'spec', 3: 'status' },
    ScaleSpec: { 1: 'replicas' },
    ScaleStatus: { 1: 'replicas!', 2: 'selector' },
  },
};
