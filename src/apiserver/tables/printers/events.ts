// Events, core/v1 and events.k8s.io/v1 alike. Upstream serves both from one
// store and prints the internal form, so an events.k8s.io event is first
// mapped onto core field names and then printed by the same function.

import type { KubeObject } from '../../../api/types.js';
import { DESC } from '../descriptions.js';
import { parseTime, since } from '../duration.js';
import { int, rec, str, type Json } from '../fields.js';
import { col, nameCol, type Printer, type PrintedRow } from '../model.js';

/** events.k8s.io/v1 field names → the core/v1 names the printer reads. */
export function eventsV1ToCore(ev: KubeObject): KubeObject {
  return {
    metadata: ev.metadata,
    involvedObject: ev.regarding,
    reason: ev.reason,
    message: ev.note,
    source: ev.deprecatedSource,
    firstTimestamp: ev.deprecatedFirstTimestamp,
    lastTimestamp: ev.deprecatedLastTimestamp,
    count: ev.deprecatedCount,
    type: ev.type,
    eventTime: ev.eventTime,
    series: ev.series,
    action: ev.action,
    related: ev.related,
    reportingComponent: ev.reportingController,
    reportingInstance: ev.reportingInstance,
  };
}

function formatSource(ev: Json): string {
  const src = rec(ev.source);
  const component = str(src.component) || str(ev.reportingComponent);
  const instance = str(src.host) || str(ev.reportingInstance);
  return instance ? `${component}, ${instance}` : component;
}

export function printCoreEvent(ev: KubeObject, now: Date): PrintedRow {
  const first = parseTime(ev.firstTimestamp) === undefined ? since(ev.eventTime, now) : since(ev.firstTimestamp, now);
  let last = parseTime(ev.lastTimestamp) === undefined ? first : since(ev.lastTimestamp, now);
  let count = int(ev.count);
  if (ev.series !== undefined && ev.series !== null) {
    last = since(rec(ev.series).lastObservedTime, now);
    count = int(rec(ev.series).count);
  } else if (count === 0) {
    // Singleton events of the new API carry no count.
    count = 1;
  }
  const involved = rec(ev.involvedObject);
  const kind = str(involved.kind).toLowerCase();
  const target = str(involved.name) ? `${kind}/${str(involved.name)}` : kind;
  return {
    cells: [
      last,
      str(ev.type),
      str(ev.reason),
      target,
      str(involved.fieldPath),
      formatSource(ev),
      str(ev.message).trim(),
      first,
      count,
      str(ev.metadata.name),
    ],
  };
}

const columns = [
  col('Last Seen', 'string', DESC.eventLastTimestamp),
  col('Type', 'string', DESC.eventType),
  col('Reason', 'string', DESC.eventReason),
  col('Object', 'string', DESC.eventInvolvedObject),
  col('Subobject', 'string', DESC.eventFieldPath, 1),
  col('Source', 'string', DESC.eventSource, 1),
  col('Message', 'string', DESC.eventMessage),
  col('First Seen', 'string', DESC.eventFirstTimestamp, 1),
  col('Count', 'string', DESC.eventCount, 1),
  { ...nameCol(), priority: 1 },
];

export const coreEventPrinter: Printer = { columns, print: printCoreEvent };

export const eventsV1Printer: Printer = { columns, print: (ev, now) => printCoreEvent(eventsV1ToCore(ev), now) };
