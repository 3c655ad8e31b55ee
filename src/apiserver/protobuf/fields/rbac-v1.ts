// io.k8s.api.rbac.v1: protobuf field number → JSON property, from the Go structs' protobuf tags.
// See ./table.ts for the notation (a trailing "!" keeps a zero value; "..." inlines a struct).

import type { PackageFields } from './table.js';

export const RBAC_V1: PackageFields = {
  package: 'io.k8s.api.rbac.v1',
  types: {
    AggregationRule: { 1: 'clusterRoleSelectors' },
    ClusterRole: { 1: 'metadata', 2: 'rules', 3: 'aggregationRule' },
    ClusterRoleBinding: { 1: 'metadata', 2: 'subjects', 3: 'roleRef' },
    ClusterRoleBindingList: { 1: 'metadata', 2: 'items' },
    ClusterRoleList: { 1: 'metadata', 2: 'items' },
    PolicyRule: { 1: 'verbs', 2: 'apiGroups', 3: 'resources', 4: 'resourceNames', 5: 'nonResourceURLs' },
    Role: { 1: 'metadata', 2: 'rules' },
    RoleBinding: { 1: 'metadata', 2: 'subjects', 3: 'roleRef' },
    RoleBindingList: { 1: 'metadata', 2: 'items' },
    RoleList: { 1: 'metadata', 2: 'items' },
    RoleRef: { 1: 'apiGroup!', 2: 'kind!', 3: 'name!' },
    Subject: { 1: 'kind!', 2: 'apiGroup', 3: 'name!', 4: 'namespace' },
  },
};
