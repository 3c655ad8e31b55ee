// The registry of every served resource: the one table that discovery,
// routing, storage keys, OpenAPI, tables and kubectl's short names read.

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** Plural, lower case: the URL segment. */
  resource: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: Verb[];
  /** Subresources served under /NAME/SUB, e.g. status, scale, binding. */
  subresources: string[];
  /** Storage key prefix without trailing slash, as upstream lays out etcd. */
  storagePrefix: string;
  /** Ordinary resources have a separate status that only /status may change. */
  hasStatus: boolean;
  /** Objects of this kind expire after this many seconds (events: 1 hour). */
  ttlSeconds?: number;
}

const ALL_VERBS: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface Def {
  group: string;
  version: string;
  kind: string;
  resource: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: Verb[];
  subresources?: string[];
  storage?: string;
  hasStatus?: boolean;
  ttlSeconds?: number;
}

const defs: Def[] = [
  // core/v1
  { group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false, shortNames: ['ns'], subresources: ['status', 'finalize'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
  { group: '', version: 'v1', kind: 'Node', resource: 'nodes', namespaced: false, shortNames: ['no'], subresources: ['status', 'proxy'], storage: 'minions' },
  { group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespaced: true, shortNames: ['po'], categories: ['all'], subresources: ['status', 'binding', 'log', 'exec', 'attach', 'portforward', 'proxy', 'eviction', 'ephemeralcontainers'] },
  { group: '', version: 'v1', kind: 'Binding', resource: 'bindings', namespaced: true, verbs: ['create'], hasStatus: false },
  { group: '', version: 'v1', kind: 'Service', resource: 'services', namespaced: true, shortNames: ['svc'], categories: ['all'], subresources: ['status', 'proxy'], storage: 'services/specs', verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] },
  { group: '', version: 'v1', kind: 'Endpoints', resource: 'endpoints', namespaced: true, shortNames: ['ep'], storage: 'services/endpoints', hasStatus: false },
  { group: '', version: 'v1', kind: 'Event', resource: 'events', namespaced: true, shortNames: ['ev'], hasStatus: false, ttlSeconds: 3600 },
  { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true, shortNames: ['cm'], hasStatus: false },
  { group: '', version: 'v1', kind: 'Secret', resource: 'secrets', namespaced: true, hasStatus: false },
  { group: '', version: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', namespaced: true, shortNames: ['sa'], hasStatus: false, subresources: ['token'] },
  { group: '', version: 'v1', kind: 'PersistentVolume', resource: 'persistentvolumes', namespaced: false, shortNames: ['pv'], subresources: ['status'] },
  { group: '', version: 'v1', kind: 'PersistentVolumeClaim', resource: 'persistentvolumeclaims', namespaced: true, shortNames: ['pvc'], subresources: ['status'] },
  { group: '', version: 'v1', kind: 'ReplicationController', resource: 'replicationcontrollers', namespaced: true, shortNames: ['rc'], categories: ['all'], subresources: ['status', 'scale'], storage: 'controllers' },
  { group: '', version: 'v1', kind: 'LimitRange', resource: 'limitranges', namespaced: true, shortNames: ['limits'], hasStatus: false },
  { group: '', version: 'v1', kind: 'ResourceQuota', resource: 'resourcequotas', namespaced: true, shortNames: ['quota'], subresources: ['status'] },
  // apps/v1
  { group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] },
  { group: 'apps', version: 'v1', kind: 'ReplicaSet', resource: 'replicasets', namespaced: true, shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'] },
  { group: 'apps', version: 'v1', kind: 'DaemonSet', resource: 'daemonsets', namespaced: true, shortNames: ['ds'], categories: ['all'], subresources: ['status'] },
  { group: 'apps', version: 'v1', kind: 'StatefulSet', resource: 'statefulsets', namespaced: true, shortNames: ['sts'], categories: ['all'], subresources: ['status', 'scale'] },
  { group: 'apps', version: 'v1', kind: 'ControllerRevision', resource: 'controllerrevisions', namespaced: true, hasStatus: false },
  // batch/v1
  { group: 'batch', version: 'v1', kind: 'Job', resource: 'jobs', namespaced: true, categories: ['all'], subresources: ['status'] },
  { group: 'batch', version: 'v1', kind: 'CronJob', resource: 'cronjobs', namespaced: true, shortNames: ['cj'], categories: ['all'], subresources: ['status'] },
  // coordination.k8s.io/v1
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', resource: 'leases', namespaced: true, hasStatus: false },
  // discovery.k8s.io/v1
  { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', resource: 'endpointslices', namespaced: true, hasStatus: false },
  // events.k8s.io/v1: the same objects as core events, another shape
  { group: 'events.k8s.io', version: 'v1', kind: 'Event', resource: 'events', namespaced: true, shortNames: ['ev'], hasStatus: false, ttlSeconds: 3600 },
  // rbac.authorization.k8s.io/v1
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', resource: 'roles', namespaced: true, hasStatus: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', resource: 'clusterroles', namespaced: false, hasStatus: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', resource: 'rolebindings', namespaced: true, hasStatus: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', resource: 'clusterrolebindings', namespaced: false, hasStatus: false },
  // authentication.k8s.io/v1: reviews are computed, never stored
  { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenReview', resource: 'tokenreviews', namespaced: false, verbs: ['create'], hasStatus: false },
  { group: 'authentication.k8s.io', version: 'v1', kind: 'SelfSubjectReview', resource: 'selfsubjectreviews', namespaced: false, verbs: ['create'], hasStatus: false },
  // authorization.k8s.io/v1
  { group: 'authorization.k8s.io', version: 'v1', kind: 'LocalSubjectAccessReview', resource: 'localsubjectaccessreviews', namespaced: true, verbs: ['create'], hasStatus: false },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectAccessReview', resource: 'selfsubjectaccessreviews', namespaced: false, verbs: ['create'], hasStatus: false },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectRulesReview', resource: 'selfsubjectrulesreviews', namespaced: false, verbs: ['create'], hasStatus: false },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'SubjectAccessReview', resource: 'subjectaccessreviews', namespaced: false, verbs: ['create'], hasStatus: false },
  // storage.k8s.io/v1
  { group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass', resource: 'storageclasses', namespaced: false, shortNames: ['sc'], hasStatus: false },
  // scheduling.k8s.io/v1
  { group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass', resource: 'priorityclasses', namespaced: false, shortNames: ['pc'], hasStatus: false },
  // flowcontrol.apiserver.k8s.io/v1: API Priority and Fairness's configuration (the server creates upstream's defaults at start)
  { group: 'flowcontrol.apiserver.k8s.io', version: 'v1', kind: 'FlowSchema', resource: 'flowschemas', namespaced: false, subresources: ['status'] },
  { group: 'flowcontrol.apiserver.k8s.io', version: 'v1', kind: 'PriorityLevelConfiguration', resource: 'prioritylevelconfigurations', namespaced: false, subresources: ['status'] },
  // policy/v1
  { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', resource: 'poddisruptionbudgets', namespaced: true, shortNames: ['pdb'], subresources: ['status'] },
  // autoscaling/v2
  { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', resource: 'horizontalpodautoscalers', namespaced: true, shortNames: ['hpa'], categories: ['all'], subresources: ['status'] },
  // autoscaling/v1: the same stored objects (v2 is the storage version), converted (registry/hpa-conversion.ts)
  { group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler', resource: 'horizontalpodautoscalers', namespaced: true, shortNames: ['hpa'], categories: ['all'], subresources: ['status'] },
  // metrics.k8s.io/v1beta1: computed from kubelet scrapes by the API server itself (src/apiserver/metrics), never stored
  { group: 'metrics.k8s.io', version: 'v1beta1', kind: 'NodeMetrics', resource: 'nodes', namespaced: false, verbs: ['get', 'list'], hasStatus: false },
  { group: 'metrics.k8s.io', version: 'v1beta1', kind: 'PodMetrics', resource: 'pods', namespaced: true, verbs: ['get', 'list'], hasStatus: false },
  // certificates.k8s.io/v1
  { group: 'certificates.k8s.io', version: 'v1', kind: 'CertificateSigningRequest', resource: 'certificatesigningrequests', namespaced: false, shortNames: ['csr'], subresources: ['status', 'approval'] },
];

function build(d: Def): ResourceInfo {
  const storagePrefix = `/registry/${d.group && d.group !== 'events.k8s.io' ? d.group + '/' : ''}${d.storage ?? d.resource}`;
  return {
    group: d.group,
    version: d.version,
    kind: d.kind,
    listKind: `${d.kind}List`,
    resource: d.resource,
    singular: d.kind.toLowerCase(),
    namespaced: d.namespaced,
    shortNames: d.shortNames ?? [],
    categories: d.categories ?? [],
    verbs: d.verbs ?? ALL_VERBS,
    subresources: d.subresources ?? [],
    storagePrefix,
    hasStatus: d.hasStatus ?? (d.subresources ?? []).includes('status'),
    ttlSeconds: d.ttlSeconds,
  };
}

export const RESOURCES: readonly ResourceInfo[] = defs.map(build);

const byGVR = new Map<string, ResourceInfo>();
const byGVK = new Map<string, ResourceInfo>();
for (const r of RESOURCES) {
  byGVR.set(`${r.group}/${r.version}/${r.resource}`, r);
  if (r.kind !== 'Binding') byGVK.set(`${r.group}/${r.version}/${r.kind}`, r);
}

export function resourceFor(group: string, version: string, resource: string): ResourceInfo | undefined {
  return byGVR.get(`${group}/${version}/${resource}`);
}

export function resourceForKind(group: string, version: string, kind: string): ResourceInfo | undefined {
  return byGVK.get(`${group}/${version}/${kind}`);
}

export interface GroupVersion {
  group: string;
  version: string;
}

/** Served group/versions in discovery order (core first, then by group name as upstream's priority roughly does). */
export function groupVersions(): GroupVersion[] {
  const seen = new Map<string, GroupVersion>();
  for (const r of RESOURCES) {
    const k = `${r.group}/${r.version}`;
    if (!seen.has(k)) seen.set(k, { group: r.group, version: r.version });
  }
  return [...seen.values()];
}

export function resourcesIn(group: string, version: string): ResourceInfo[] {
  return RESOURCES.filter((r) => r.group === group && r.version === version);
}
