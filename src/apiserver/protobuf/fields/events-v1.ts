// io.k8s.api.events.v1: protobuf field number → JSON property, from the Go structs' protobuf tags.
// See ./table.ts for the notation (a trailing "!" keeps a zero value; "..." inlines a struct).

import type { PackageFields } from './table.js';

export const EVENTS_V1: PackageFields = {
  package: 'io.k8s.api.events.v1',
  types: {
    Event: {
      1: 'metadata', 2: 'eventTime', 3: 'series', 4: 'reportingController', 5: 'reportingInstance', 6: 'action',
      7: 'reason', 8: 'regarding', 9: 'related', 10: 'note', 11: 'type', 12: 'deprecatedSource',
      13: 'deprecatedFirstTimestamp', 14: 'deprecatedLastTimestamp', 15: 'deprecatedCount',
    },
    EventList: { 1: 'metadata', 2: 'items' },
    EventSeries: { 1: 'count!', 2: 'lastObservedTime' },
  },
};
