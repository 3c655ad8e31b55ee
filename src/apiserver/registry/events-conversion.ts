import type { KubeObject } from '../../api/types.js';

// events.k8s.io/v1 Events and core/v1 Events are the same stored objects
// (upstream keeps both under /registry/events); these map between the
// shapes, field for field as upstream's conversion does.

export interface Conversion {
  /** Stored (core/v1) shape → this endpoint's shape. */
  toExternal(stored: KubeObject): KubeObject;
  /** This endpoint's shape → stored (core/v1) shape. */
  toStorage(external: KubeObject): KubeObject;
}

const drop = (o: Record<string, unknown>): KubeObject => {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o as KubeObject;
};

export const eventsV1Conversion: Conversion = {
  toExternal(e: any): KubeObject {
    return drop({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: e.metadata,
      eventTime: e.eventTime ?? null,
      series: e.series,
      reportingController: e.reportingComponent || e.source?.component || undefined,
      reportingInstance: e.reportingInstance || e.source?.host || undefined,
      action: e.action,
      reason: e.reason,
      regarding: e.involvedObject,
      related: e.related,
      note: e.message,
      type: e.type,
      deprecatedSource: e.source,
      deprecatedFirstTimestamp: e.firstTimestamp ?? undefined,
      deprecatedLastTimestamp: e.lastTimestamp ?? undefined,
      deprecatedCount: e.count,
    });
  },
  toStorage(e: any): KubeObject {
    return drop({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: e.metadata,
      involvedObject: e.regarding ?? {},
      reason: e.reason,
      message: e.note,
      source: e.deprecatedSource ?? (e.reportingController ? { component: e.reportingController, host: e.reportingInstance } : undefined),
      firstTimestamp: e.deprecatedFirstTimestamp,
      lastTimestamp: e.deprecatedLastTimestamp,
      count: e.deprecatedCount,
      type: e.type,
      eventTime: e.eventTime,
      series: e.series,
      action: e.action,
      related: e.related,
      reportingComponent: e.reportingController ?? '',
      reportingInstance: e.reportingInstance ?? '',
    });
  },
};
