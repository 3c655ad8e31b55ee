// Which group/versions get a schema, beyond the served resources: the API
// groups clients expect to find documented, plus the subresource kinds
// (Scale, Eviction, TokenRequest) whose bodies the served resources accept.
// The build script seeds its walk of the client-node type graph from here.

import { RESOURCES } from '../scheme/resources.js';

export interface SchemaGroupVersion {
  group: string;
  version: string;
  kinds: string[];
}

const EXTRA: SchemaGroupVersion[] = [
  { group: '', version: 'v1', kinds: ['PodTemplate', 'ComponentStatus'] },
  { group: 'autoscaling', version: 'v1', kinds: ['Scale'] },
  { group: 'autoscaling', version: 'v2', kinds: ['HorizontalPodAutoscaler'] },
  { group: 'policy', version: 'v1', kinds: ['PodDisruptionBudget', 'Eviction'] },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kinds: ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'] },
  { group: 'certificates.k8s.io', version: 'v1', kinds: ['CertificateSigningRequest'] },
  { group: 'authentication.k8s.io', version: 'v1', kinds: ['TokenReview', 'SelfSubjectReview', 'TokenRequest'] },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    kinds: ['SubjectAccessReview', 'SelfSubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectRulesReview'],
  },
  {
    group: 'storage.k8s.io',
    version: 'v1',
    kinds: ['StorageClass', 'CSIDriver', 'CSINode', 'VolumeAttachment', 'CSIStorageCapacity', 'VolumeAttributesClass'],
  },
  { group: 'networking.k8s.io', version: 'v1', kinds: ['Ingress', 'IngressClass', 'NetworkPolicy', 'IPAddress', 'ServiceCIDR'] },
  { group: 'scheduling.k8s.io', version: 'v1', kinds: ['PriorityClass'] },
  { group: 'flowcontrol.apiserver.k8s.io', version: 'v1', kinds: ['FlowSchema', 'PriorityLevelConfiguration'] },
];

/** Kinds that are only ever request or response bodies: they get a GVK but no List. */
export const BODY_ONLY_KINDS = new Set([
  'Binding', 'Scale', 'Eviction', 'TokenRequest', 'TokenReview', 'SelfSubjectReview',
  'SubjectAccessReview', 'SelfSubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectRulesReview',
]);

/** Every group/version with its kinds: core first, then in first-seen order. */
export function schemaGroupVersions(): SchemaGroupVersion[] {
  const byKey = new Map<string, SchemaGroupVersion>();
  const add = (group: string, version: string, kind: string) => {
    const key = `${group}/${version}`;
    let gv = byKey.get(key);
    if (!gv) byKey.set(key, (gv = { group, version, kinds: [] }));
    if (!gv.kinds.includes(kind)) gv.kinds.push(kind);
  };
  for (const r of RESOURCES) add(r.group, r.version, r.kind);
  for (const gv of EXTRA) for (const k of gv.kinds) add(gv.group, gv.version, k);
  return [...byKey.values()].sort((a, b) => (a.group === '' ? 0 : 1) - (b.group === '' ? 0 : 1));
}

/** The Go package of a group/version as upstream names definitions: io.k8s.api.apps.v1. */
export function packageOf(group: string, version: string): string {
  const short = group === '' ? 'core' : group.split('.')[0];
  return `io.k8s.api.${short}.${version}`;
}

export const META_PACKAGE = 'io.k8s.apimachinery.pkg.apis.meta.v1';
