// io.k8s.api.policy.v1: protobuf field number → JSON property, from the Go structs' protobuf tags.
// See ./table.ts for the notation (a trailing "!" keeps a zero value; "..." inlines a struct).

import type { PackageFields } from './table.js';

export const POLICY_V1: PackageFields = {
  package: 'io.k8s.api.policy.v1',
  types: {
    Eviction: { 1: 'metadata', 2: 'deleteOptions' },
    PodDisruptionBudget: { 1: 'metadata', 2: 'spec', 3: 'status' },
    PodDisruptionBudgetList: { 1: 'metadata', 2: 'items' },
    PodDisruptionBudgetSpec: { 1: 'minAvailable', 2: 'selector', 3: 'maxUnavailable', 4: 'unhealthyPodEvictionPolicy!' },
    PodDisruptionBudgetStatus: {
      1: 'observedGeneration', 2: 'disruptedPods', 3: 'disruptionsAllowed!', 4: 'currentHealthy!', 5: 'desiredHealthy!',
      6: 'expectedPods!', 7: 'conditions',
    },
  },
};
