// Types whose JSON form is not a plain struct, and the fields that use them.
// client-node flattens these (Quantity becomes string, Time becomes Date,
// RawExtension becomes any), so the build puts the upstream names back.

import { META_PACKAGE } from './groups.js';

export const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const TIME = `${META_PACKAGE}.Time`;
export const MICRO_TIME = `${META_PACKAGE}.MicroTime`;
export const FIELDS_V1 = `${META_PACKAGE}.FieldsV1`;
export const PATCH = `${META_PACKAGE}.Patch`;
export const RAW_EXTENSION = 'io.k8s.apimachinery.pkg.runtime.RawExtension';

/** Definitions written by hand, in the stored (OpenAPI v2) form. */
export const SPECIAL_DEFINITIONS: Record<string, Record<string, unknown>> = {
  [QUANTITY]: {
    description:
      'Quantity is a fixed-point representation of a number, serialized as a string such as "100m", "1.5Gi" or "2": a decimal or binary-SI or decimal-exponent suffix after a signed number. A JSON number is accepted on input.',
    type: 'string',
  },
  [INT_OR_STRING]: {
    description: 'IntOrString holds either an int32 or a string, e.g. a port number or a port name, or a percentage such as "25%".',
    format: 'int-or-string',
    type: 'string',
    'x-kubernetes-int-or-string': true,
  },
  [TIME]: {
    description: 'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON: an RFC 3339 date and time, in seconds.',
    format: 'date-time',
    type: 'string',
  },
  [MICRO_TIME]: {
    description: 'MicroTime is version of Time with microsecond level precision.',
    format: 'date-time',
    type: 'string',
  },
  [FIELDS_V1]: {
    description: 'FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format: each key is a field ("f:name"), value ("v:..."), list item key ("k:{...}") or "." for the field itself.',
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
  },
  [PATCH]: {
    description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
    type: 'object',
  },
  [RAW_EXTENSION]: {
    description: 'RawExtension holds an arbitrary embedded object: a complete object with its own apiVersion and kind, kept as given.',
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
  },
};

/** Fields client-node types as `string` or `{[k]: string}` that upstream types as Quantity. Keyed by definition name. */
export const QUANTITY_FIELDS: Record<string, string[]> = {
  'io.k8s.api.core.v1.PersistentVolumeSpec': ['capacity'],
  'io.k8s.api.core.v1.PersistentVolumeClaimStatus': ['capacity', 'allocatedResources'],
  'io.k8s.api.core.v1.EmptyDirVolumeSource': ['sizeLimit'],
  'io.k8s.api.core.v1.ResourceFieldSelector': ['divisor'],
  'io.k8s.api.core.v1.ResourceRequirements': ['limits', 'requests'],
  'io.k8s.api.core.v1.VolumeResourceRequirements': ['limits', 'requests'],
  'io.k8s.api.core.v1.ContainerStatus': ['allocatedResources'],
  'io.k8s.api.core.v1.PodSpec': ['overhead'],
  'io.k8s.api.core.v1.PodStatus': ['allocatedResources'],
  'io.k8s.api.core.v1.NodeStatus': ['capacity', 'allocatable'],
  'io.k8s.api.core.v1.LimitRangeItem': ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'],
  'io.k8s.api.core.v1.ResourceQuotaSpec': ['hard'],
  'io.k8s.api.core.v1.ResourceQuotaStatus': ['hard', 'used'],
  'io.k8s.api.autoscaling.v2.HPAScalingRules': ['tolerance'],
  'io.k8s.api.autoscaling.v2.MetricTarget': ['value', 'averageValue'],
  'io.k8s.api.autoscaling.v2.MetricValueStatus': ['value', 'averageValue'],
  'io.k8s.api.storage.v1.CSIStorageCapacity': ['capacity', 'maximumVolumeSize'],
};

/** `any`-typed fields that are not RawExtension (the default for `any`). */
export const ANY_FIELDS: Record<string, string> = {
  [`${META_PACKAGE}.ManagedFieldsEntry.fieldsV1`]: FIELDS_V1,
};

/**
 * Types reachable first from another group's kinds but declared in core:
 * the build would otherwise file them under the first group that uses them.
 */
export const CORE_TYPES_USED_ELSEWHERE: readonly string[] = ['TopologySelectorTerm', 'TopologySelectorLabelRequirement'];

/** meta/v1 types (client-node names them V1X like every v1 type). */
export const META_TYPES: ReadonlySet<string> = new Set([
  'APIGroup', 'APIGroupList', 'APIResource', 'APIResourceList', 'APIVersions', 'Condition', 'DeleteOptions',
  'FieldSelectorRequirement', 'GroupVersionForDiscovery', 'LabelSelector', 'LabelSelectorRequirement', 'ListMeta',
  'ManagedFieldsEntry', 'ObjectMeta', 'OwnerReference', 'Preconditions', 'ServerAddressByClientCIDR', 'Status',
  'StatusCause', 'StatusDetails', 'WatchEvent',
]);
