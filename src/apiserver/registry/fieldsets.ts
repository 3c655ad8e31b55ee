import type { ResourceInfo } from '../../api/scheme/resources.js';
import type { KubeObject } from '../../api/types.js';
import type { FieldSelector } from '../../api/selectors/fields.js';

// The fields each resource can be selected on, as upstream's
// GetAttrs/ToSelectableFields; asking for any other field is a 400.

type Getter = (o: any) => string;

const meta: Record<string, Getter> = {
  'metadata.name': (o) => o.metadata?.name ?? '',
  'metadata.namespace': (o) => o.metadata?.namespace ?? '',
};

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

const extra: Record<string, Record<string, Getter>> = {
  '/pods': {
    'spec.nodeName': (o) => str(o.spec?.nodeName),
    'spec.restartPolicy': (o) => str(o.spec?.restartPolicy),
    'spec.schedulerName': (o) => str(o.spec?.schedulerName),
    'spec.serviceAccountName': (o) => str(o.spec?.serviceAccountName),
    'spec.hostNetwork': (o) => String(o.spec?.hostNetwork === true),
    'status.phase': (o) => str(o.status?.phase),
    'status.podIP': (o) => str(o.status?.podIP),
    'status.nominatedNodeName': (o) => str(o.status?.nominatedNodeName),
  },
  '/events': {
    'involvedObject.kind': (o) => str(o.involvedObject?.kind),
    'involvedObject.namespace': (o) => str(o.involvedObject?.namespace),
    'involvedObject.name': (o) => str(o.involvedObject?.name),
    'involvedObject.uid': (o) => str(o.involvedObject?.uid),
    'involvedObject.apiVersion': (o) => str(o.involvedObject?.apiVersion),
    'involvedObject.resourceVersion': (o) => str(o.involvedObject?.resourceVersion),
    'involvedObject.fieldPath': (o) => str(o.involvedObject?.fieldPath),
    reason: (o) => str(o.reason),
    reportingComponent: (o) => str(o.reportingComponent),
    source: (o) => str(o.source?.component || o.reportingComponent),
    type: (o) => str(o.type),
  },
  'events.k8s.io/events': {
    'regarding.kind': (o) => str(o.regarding?.kind),
    'regarding.namespace': (o) => str(o.regarding?.namespace),
    'regarding.name': (o) => str(o.regarding?.name),
    'regarding.uid': (o) => str(o.regarding?.uid),
    'regarding.apiVersion': (o) => str(o.regarding?.apiVersion),
    'regarding.resourceVersion': (o) => str(o.regarding?.resourceVersion),
    'regarding.fieldPath': (o) => str(o.regarding?.fieldPath),
    reason: (o) => str(o.reason),
    reportingController: (o) => str(o.reportingController),
    type: (o) => str(o.type),
  },
  '/nodes': { 'spec.unschedulable': (o) => String(o.spec?.unschedulable === true) },
  '/namespaces': { 'status.phase': (o) => str(o.status?.phase) },
  '/secrets': { type: (o) => str(o.type) },
  '/replicationcontrollers': { 'status.replicas': (o) => str(o.status?.replicas ?? 0) },
  'apps/replicasets': { 'status.replicas': (o) => str(o.status?.replicas ?? 0) },
  'batch/jobs': { 'status.successful': (o) => str(o.status?.succeeded ?? 0) },
  '/persistentvolumeclaims': { 'spec.volumeName': (o) => str(o.spec?.volumeName) },
  '/services': { 'spec.clusterIP': (o) => str(o.spec?.clusterIP), 'spec.type': (o) => str(o.spec?.type) },
  'certificates.k8s.io/certificatesigningrequests': { 'spec.signerName': (o) => str(o.spec?.signerName) },
};

export function selectableFields(info: ResourceInfo): Record<string, Getter> {
  return { ...meta, ...(extra[`${info.group}/${info.resource}`] ?? {}) };
}

/**
 * Whether obj satisfies a field selector, reading only the fields it names:
 * every watch with a selector (a kubelet's spec.nodeName=...) tests every
 * event of its resource, thousands of watches each, so no record of all the
 * selectable fields is built per test. An unknown field reads as "".
 */
export function matchesFieldSelector(getters: Record<string, Getter>, sel: FieldSelector, obj: KubeObject): boolean {
  for (const r of sel) {
    const g = Object.hasOwn(getters, r.field) ? getters[r.field] : undefined;
    const v = g ? g(obj) : '';
    if ((v === r.value) !== (r.op === '=')) return false;
  }
  return true;
}
