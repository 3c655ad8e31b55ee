// io.k8s.apimachinery.pkg.apis.meta.v1: protobuf field number → JSON property, from the Go structs' protobuf tags.
// See ./table.ts for the notation (a trailing "!" keeps a zero value; "..." inlines a struct).

import type { PackageFields } from './table.js';

export const META_V1: PackageFields = {
  package: 'io.k8s.apimachinery.pkg.apis.meta.v1',
  types: {
    Condition: {
      1: 'type!', 2: 'status!', 3: 'observedGeneration', 4: 'lastTransitionTime', 5: 'reason!', 6: 'message!',
    },
    DeleteOptions: {
      1: 'gracePeriodSeconds!', 2: 'preconditions', 3: 'orphanDependents!', 4: 'propagationPolicy!', 5: 'dryRun',
      6: 'ignoreStoreReadErrorWithClusterBreakingPotential!',
    },
    FieldSelectorRequirement: { 1: 'key!', 2: 'operator!', 3: 'values' },
    LabelSelector: { 1: 'matchLabels', 2: 'matchExpressions' },
    LabelSelectorRequirement: { 1: 'key!', 2: 'operator!', 3: 'values' },
    ListMeta: { 1: 'selfLink', 2: 'resourceVersion', 3: 'continue', 4: 'remainingItemCount!' },
    ManagedFieldsEntry: {
      1: 'manager', 2: 'operation', 3: 'apiVersion', 4: 'time', 6: 'fieldsType', 7: 'fieldsV1', 8: 'subresource',
    },
    ObjectMeta: {
      1: 'name', 2: 'generateName', 3: 'namespace', 4: 'selfLink', 5: 'uid', 6: 'resourceVersion', 7: 'generation',
      8: 'creationTimestamp', 9: 'deletionTimestamp', 10: 'deletionGracePeriodSeconds!', 11: 'labels', 12: 'annotations',
      13: 'ownerReferences', 14: 'finalizers', 17: 'managedFields',
    },
    OwnerReference: { 5: 'apiVersion!', 1: 'kind!', 3: 'name!', 4: 'uid!', 6: 'controller!', 7: 'blockOwnerDeletion!' },
    Preconditions: { 1: 'uid!', 2: 'resourceVersion!' },
    Status: { 1: 'metadata', 2: 'status', 3: 'message', 4: 'reason', 5: 'details', 6: 'code' },
    StatusCause: { 1: 'reason', 2: 'message', 3: 'field' },
    StatusDetails: { 1: 'name', 2: 'group', 3: 'kind', 6: 'uid', 4: 'causes', 5: 'retryAfterSeconds' },
  },
};
