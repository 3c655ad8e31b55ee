// io.k8s.api.coordination.v1: protobuf field number → JSON property, from the Go structs' protobuf tags.
// See ./table.ts for the notation (a trailing "!" keeps a zero value; "..." inlines a struct).

import type { PackageFields } from './table.js';

export const COORDINATION_V1: PackageFields = {
  package: 'io.k8s.api.coordination.v1',
  types: {
    Lease: { 1: 'metadata', 2: 'spec' },
    LeaseList: { 1: 'metadata', 2: 'items' },
    LeaseSpec: {
      1: 'holderIdentity!', 2: 'leaseDurationSeconds!', 3: 'acquireTime', 4: 'renewTime', 5: 'leaseTransitions!',
      6: 'strategy!', 7: 'preferredHolder!',
    },
  },
};
