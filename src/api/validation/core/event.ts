// Events: core/v1 keeps the lax legacy rules; events.k8s.io/v1 is strict.
// Field names in errors are the internal ones for both, as upstream prints.

import type { KubeObject } from '../../types.js';
import { invalid, required, type FieldError } from '../field.js';
import { byteLength, isDNS1123Subdomain, isQualifiedName } from '../names.js';
import { asRecord, str } from '../util.js';

interface EventView {
  namespace: string;
  involvedNamespace: string;
  eventTime: string;
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  message: string;
  type: string;
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  source: Record<string, unknown>;
}

function view(obj: KubeObject, eventsGroup: boolean): EventView {
  const involved = asRecord(eventsGroup ? obj.regarding : obj.involvedObject) ?? {};
  return {
    namespace: str(obj.metadata.namespace),
    involvedNamespace: str(involved.namespace),
    eventTime: str(obj.eventTime),
    reportingController: str(eventsGroup ? obj.reportingController : obj.reportingComponent),
    reportingInstance: str(obj.reportingInstance),
    action: str(obj.action),
    reason: str(obj.reason),
    message: str(eventsGroup ? obj.note : obj.message),
    type: str(obj.type),
    firstTimestamp: str(eventsGroup ? obj.deprecatedFirstTimestamp : obj.firstTimestamp),
    lastTimestamp: str(eventsGroup ? obj.deprecatedLastTimestamp : obj.lastTimestamp),
    count: typeof (eventsGroup ? obj.deprecatedCount : obj.count) === 'number' ? ((eventsGroup ? obj.deprecatedCount : obj.count) as number) : 0,
    source: asRecord(eventsGroup ? obj.deprecatedSource : obj.source) ?? {},
  };
}

function legacy(e: EventView, coreGroup: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const rc = coreGroup ? 'reportingComponent' : 'reportingController';
  if (!e.eventTime) {
    if (!e.involvedNamespace) {
      if (e.namespace !== '' && e.namespace !== 'default') errs.push(invalid('involvedObject.namespace', e.involvedNamespace, 'does not match event.namespace'));
    } else if (e.namespace !== e.involvedNamespace) {
      errs.push(invalid('involvedObject.namespace', e.involvedNamespace, 'does not match event.namespace'));
    }
  } else {
    if (!e.involvedNamespace && e.namespace !== 'default' && e.namespace !== 'kube-system') {
      errs.push(invalid('involvedObject.namespace', e.involvedNamespace, 'does not match event.namespace'));
    }
    if (!e.reportingController) errs.push(required(rc));
    errs.push(...isQualifiedName(e.reportingController).map((m) => invalid(rc, e.reportingController, m)));
    if (!e.reportingInstance) errs.push(required('reportingInstance'));
    if (byteLength(e.reportingInstance) > 128) errs.push(invalid('reportingInstance', '', 'can have at most 128 characters'));
    if (!e.action) errs.push(required('action'));
    if (byteLength(e.action) > 128) errs.push(invalid('action', '', 'can have at most 128 characters'));
    if (!e.reason) errs.push(required('reason'));
    if (byteLength(e.reason) > 128) errs.push(invalid('reason', '', 'can have at most 128 characters'));
    if (byteLength(e.message) > 1024) errs.push(invalid('message', '', 'can have at most 1024 characters'));
  }
  errs.push(...isDNS1123Subdomain(e.namespace).map((m) => invalid('namespace', e.namespace, m)));
  return errs;
}

/** Spec-level event checks; events.k8s.io callers also get ObjectMeta validation from the dispatcher. */
export function validateEvent(obj: KubeObject, eventsGroup: boolean, isCreate: boolean): FieldError[] {
  const e = view(obj, eventsGroup);
  const errs = legacy(e, !eventsGroup);
  if (!eventsGroup || !isCreate) return errs;
  if (!e.eventTime) errs.push(required('eventTime'));
  if (e.type !== 'Normal' && e.type !== 'Warning') errs.push(invalid('type', '', `has invalid value: ${e.type}`));
  if (e.firstTimestamp) errs.push(invalid('firstTimestamp', '', 'needs to be unset'));
  if (e.lastTimestamp) errs.push(invalid('lastTimestamp', '', 'needs to be unset'));
  if (e.count !== 0) errs.push(invalid('count', '', 'needs to be unset'));
  if (str(e.source.component) || str(e.source.host)) errs.push(invalid('source', '', 'needs to be unset'));
  const series = asRecord(obj.series);
  if (series) {
    if (typeof series.count !== 'number' || series.count < 2) errs.push(invalid('series.count', '', 'should be at least 2'));
    if (!str(series.lastObservedTime)) errs.push(required('series.lastObservedTime'));
  }
  return errs;
}
