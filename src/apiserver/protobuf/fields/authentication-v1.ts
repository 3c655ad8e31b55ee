// io.k8s.api.authentication.v1: protobuf field number → JSON property, from the Go structs' protobuf tags.
// See ./table.ts for the notation (a trailing "!" keeps a zero value; "..." inlines a struct).

import type { PackageFields } from './table.js';

export const AUTHENTICATION_V1: PackageFields = {
  package: 'io.k8s.api.authentication.v1',
  types: {
    BoundObjectReference: { 1: 'kind', 2: 'apiVersion', 3: 'name', 4: 'uid' },
    SelfSubjectReview: { 1: 'metadata', 2: 'status' },
    SelfSubjectReviewStatus: { 1: 'userInfo' },
    TokenRequest: { 1: 'metadata', 2: 'spec', 3: 'status' },
    TokenRequestSpec: { 1: 'audiences', 4: 'expirationSeconds!', 3: 'boundObjectRef' },
    TokenRequestStatus: { 1: 'token!', 2: 'expirationTimestamp' },
    TokenReview: { 1: 'metadata', 2: 'spec', 3: 'status' },
    TokenReviewSpec: { 1: 'token', 2: 'audiences' },
    TokenReviewStatus: { 1: 'authenticated', 2: 'user', 4: 'audiences', 3: 'error' },
    UserInfo: { 1: 'username', 2: 'uid', 3: 'groups', 4: 'extra' },
  },
};
