// io.k8s.api.discovery.v1: protobuf field number → JSON property, from the Go structs' protobuf tags.
// See ./table.ts for the notation (a trailing "!" keeps a zero value; "..." inlines a struct).

import type { PackageFields } from './table.js';

export const DISCOVERY_V1: PackageFields = {
  package: 'io.k8s.api.discovery.v1',
  types: {
    Endpoint: {
      1: 'addresses', 2: 'conditions', 3: 'hostname!', 4: 'targetRef', 5: 'deprecatedTopology', 6: 'nodeName!',
      7: 'zone!', 8: 'hints',
    },
    EndpointConditions: { 1: 'ready!', 2: 'serving!', 3: 'terminating!' },
    EndpointHints: { 1: 'forZones', 2: 'forNodes' },
    EndpointPort: { 1: 'name!', 2: 'protocol!', 3: 'port!', 4: 'appProtocol!' },
    EndpointSlice: { 1: 'metadata', 4: 'addressType!', 2: 'endpoints', 3: 'ports' },
    EndpointSliceList: { 1: 'metadata', 2: 'items' },
    ForNode: { 1: 'name!' },
    ForZone: { 1: 'name!' },
  },
};
