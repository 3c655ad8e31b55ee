import type { ResourceInfo } from '../../api/scheme/resources.js';
import type { KubeObject } from '../../api/types.js';

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

export function fieldsOf(getters: Record<string, Getter>, obj: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, g] of Object.entries(getters)) out[k] = g(obj);
  return out;
}
