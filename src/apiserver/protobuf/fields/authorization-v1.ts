// io.k8s.api.authorization.v1: protobuf field number → JSON property, from the Go structs' protobuf tags.
// See ./table.ts for the notation (a trailing "!" keeps a zero value; "..." inlines a struct).

import type { PackageFields } from './table.js';

export const AUTHORIZATION_V1: PackageFields = {
  package: 'io.k8s.api.authorization.v1',
  types: {
    FieldSelectorAttributes: { 1: 'rawSelector', 2: 'requirements' },
    LabelSelectorAttributes: { 1: 'rawSelector', 2: 'requirements' },
    LocalSubjectAccessReview: { 1: 'metadata', 2: 'spec', 3: 'status' },
    NonResourceAttributes: { 1: 'path', 2: 'verb' },
    NonResourceRule: { 1: 'verbs', 2: 'nonResourceURLs' },
    ResourceAttributes: {
      1: 'namespace', 2: 'verb', 3: 'group', 4: 'version', 5: 'resource', 6: 'subresource', 7: 'name', 8: 'fieldSelector',
      9: 'labelSelector',
    },
    ResourceRule: { 1: 'verbs', 2: 'apiGroups', 3: 'resources', 4: 'resourceNames' },
    SelfSubjectAccessReview: { 1: 'metadata', 2: 'spec', 3: 'status' },
    SelfSubjectAccessReviewSpec: { 1: 'resourceAttributes', 2: 'nonResourceAttributes' },
    SelfSubjectRulesReview: { 1: 'metadata', 2: 'spec', 3: 'status' },
    SelfSubjectRulesReviewSpec: { 1: 'namespace' },
    SubjectAccessReview: { 1: 'metadata', 2: 'spec', 3: 'status' },
    SubjectAccessReviewSpec: {
      1: 'resourceAttributes', 2: 'nonResourceAttributes', 3: 'user', 4: 'groups', 5: 'extra', 6: 'uid',
    },
    SubjectAccessReviewStatus: { 1: 'allowed!', 4: 'denied', 2: 'reason', 3: 'evaluationError' },
    SubjectRulesReviewStatus: { 1: 'resourceRules', 2: 'nonResourceRules', 3: 'incomplete!', 4: 'evaluationError' },
  },
};
