// io.k8s.api.scheduling.v1: protobuf field number → JSON property, from the Go structs' protobuf tags.
// See ./table.ts for the notation (a trailing "!" keeps a zero value; "..." inlines a struct).

import type { PackageFields } from './table.js';

export const SCHEDULING_V1: PackageFields = {
  package: 'io.k8s.api.scheduling.v1',
  types: {
    PriorityClass: { 1: 'metadata', 2: 'value!', 3: 'globalDefault', 4: 'description', 5: 'preemptionPolicy!' },
    PriorityClassList: { 1: 'metadata', 2: 'items' },
  },
};
