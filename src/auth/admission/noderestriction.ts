import { resourceFor } from '../../api/scheme/resources.js';
import { notFound } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { isNodeUser, nodeNameOf, NODE_LOCAL_PATH_GROUP } from '../user.js';
import { podRefs } from '../pod-refs.js';
import type { AdmissionAttributes, AdmissionContext } from './types.js';
import { admissionForbidden, lookupObject } from './types.js';
import { admitNodeLocalPath } from './local-path-restriction.js';
import { MIRROR_POD_ANNOTATION } from './serviceaccount.js';

const pods = resourceFor('', 'v1', 'pods')!;
const nodes = resourceFor('', 'v1', 'nodes')!;

/** Labels a kubelet may set on its own Node: its identity and topology, and its own prefixes. */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/arch',
  'kubernetes.io/os',
  'beta.kubernetes.io/instance-type',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'node.kubernetes.io/instance-type',
]);

function labelNamespace(key: string): string {
  const i = key.indexOf('/');
  return i < 0 ? '' : key.slice(0, i);
}

/** Keys under kubernetes.io / k8s.io that a kubelet may not set, and the reserved node-restriction prefix. */
function forbiddenLabel(key: string): boolean {
  const ns = labelNamespace(key);
  if (ns === 'node-restriction.kubernetes.io' || ns.endsWith('.node-restriction.kubernetes.io')) return true;
  if (KUBELET_LABELS.has(key)) return false;
  if (ns === 'kubelet.kubernetes.io' || ns.endsWith('.kubelet.kubernetes.io') || ns === 'node.kubernetes.io' || ns.endsWith('.node.kubernetes.io')) return false;
  return ns === 'kubernetes.io' || ns.endsWith('.kubernetes.io') || ns === 'k8s.io' || ns.endsWith('.k8s.io');
}

/** The existing pod, or upstream's bare NotFound when there is none. */
async function existingPod(ctx: AdmissionContext, namespace: string | undefined, name: string): Promise<KubeObject> {
  const p = await lookupObject(ctx, pods, namespace, name);
  if (!p) throw notFound({ group: '', resource: 'pods' }, name);
  return p;
}

function nodeOfPod(p: KubeObject | undefined): string {
  return ((p?.spec as { nodeName?: string } | undefined)?.nodeName ?? '') as string;
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const x = a ?? {};
  const y = b ?? {};
  const kx = Object.keys(x);
  return kx.length === Object.keys(y).length && kx.every((k) => Object.prototype.hasOwnProperty.call(y, k) && y[k] === x[k]);
}

/** The keys whose values differ between two label maps (getModifiedLabels). */
function modifiedLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): string[] {
  const x = a ?? {};
  const y = b ?? {};
  return [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => !(Object.prototype.hasOwnProperty.call(x, k) && Object.prototype.hasOwnProperty.call(y, k) && x[k] === y[k]));
}

/** apiequality.Semantic.DeepEqual for JSON values, treating absent and empty alike as Go does for nil vs empty slices after decoding. */
function semanticEqual(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown => (Array.isArray(v) && v.length === 0 ? undefined : v);
  return JSON.stringify(norm(a) ?? null) === JSON.stringify(norm(b) ?? null);
}

async function admitPodCreate(a: AdmissionAttributes, pod: KubeObject, node: string, ctx: AdmissionContext): Promise<void> {
  const q = JSON.stringify(node);
  if (pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] === undefined) {
    throw admissionForbidden(a, `pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node ${q} can only create mirror pods`);
  }
  if (nodeOfPod(pod) !== node) throw admissionForbidden(a, `node ${q} can only create pods with spec.nodeName set to itself`);
  const owners = pod.metadata.ownerReferences ?? [];
  if (owners.length > 1) throw admissionForbidden(a, `node ${q} can only create pods with a single owner reference set to itself`);
  if (owners.length === 0) throw admissionForbidden(a, `node ${q} can only create pods with an owner reference set to itself`);
  const owner = owners[0]!;
  if (owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== node) throw admissionForbidden(a, `node ${q} can only create pods with an owner reference set to itself`);
  if (owner.controller !== true) throw admissionForbidden(a, `node ${q} can only create pods with a controller owner reference set to itself`);
  if (owner.blockOwnerDeletion === true) throw admissionForbidden(a, `node ${q} must not set blockOwnerDeletion on an owner reference`);
  const self = await lookupObject(ctx, nodes, undefined, node);
  if (!self) throw notFound({ group: '', resource: 'nodes' }, node);
  if (owner.uid !== self.metadata.uid) throw admissionForbidden(a, `node ${node} UID mismatch: expected ${owner.uid} got ${self.metadata.uid ?? ''}`);

  const refs = podRefs(pod);
  const spec = pod.spec as { serviceAccountName?: string; volumes?: { projected?: { sources?: { clusterTrustBundle?: unknown }[] }; persistentVolumeClaim?: unknown }[] };
  if (spec.serviceAccountName) throw admissionForbidden(a, `node ${q} can not create pods that reference a service account`);
  if (refs.secrets.size) throw admissionForbidden(a, `node ${q} can not create pods that reference secrets`);
  if (refs.configMaps.size) throw admissionForbidden(a, `node ${q} can not create pods that reference configmaps`);
  for (const v of spec.volumes ?? []) {
    if (v?.projected?.sources?.some((src) => src?.clusterTrustBundle)) throw admissionForbidden(a, `node ${q} can not create pods that reference clustertrustbundles`);
  }
  if ((spec.volumes ?? []).some((v) => v?.persistentVolumeClaim)) throw admissionForbidden(a, `node ${q} can not create pods that reference persistentvolumeclaims`);
}

async function admitPod(a: AdmissionAttributes, obj: KubeObject | undefined, old: KubeObject | undefined, node: string, ctx: AdmissionContext): Promise<void> {
  const q = JSON.stringify(node);
  switch (a.subresource ?? '') {
    case '':
      if (a.operation === 'CREATE') {
        if (!obj) throw admissionForbidden(a, 'unexpected type <nil>');
        return admitPodCreate(a, obj, node, ctx);
      }
      if (a.operation === 'DELETE') {
        const p = old ?? (await existingPod(ctx, a.namespace, a.name ?? ''));
        if (nodeOfPod(p) !== node) throw admissionForbidden(a, `node ${q} can only delete pods with spec.nodeName set to itself`);
        return;
      }
      throw admissionForbidden(a, `unexpected operation ${JSON.stringify(a.operation)}, node ${q} can only create and delete mirror pods`);
    case 'status': {
      if (a.operation !== 'UPDATE') throw admissionForbidden(a, `unexpected operation ${JSON.stringify(a.operation)}`);
      const before = old ?? (await existingPod(ctx, a.namespace, a.name ?? ''));
      if (nodeOfPod(before) !== node) throw admissionForbidden(a, `node ${q} can only update pod status for pods with spec.nodeName set to itself`);
      if (obj && !sameLabels(before.metadata.labels, obj.metadata.labels)) throw admissionForbidden(a, `node ${q} cannot update labels through pod status`);
      const claims = (o: KubeObject | undefined) => ((o?.status as { resourceClaimStatuses?: { name?: string; resourceClaimName?: string }[] } | undefined)?.resourceClaimStatuses ?? []).map((c) => [c.name, c.resourceClaimName ?? null]);
      if (obj && JSON.stringify(claims(before)) !== JSON.stringify(claims(obj))) throw admissionForbidden(a, `node ${q} cannot update resource claim statues`);
      return;
    }
    case 'eviction': {
      if (a.operation !== 'CREATE') throw admissionForbidden(a, `unexpected operation ${a.operation}`);
      const podName = a.name || obj?.metadata.name;
      if (!podName) throw admissionForbidden(a, 'could not determine pod from request data');
      const p = await existingPod(ctx, a.namespace, podName);
      if (nodeOfPod(p) !== node) throw admissionForbidden(a, `node ${node} can only evict pods with spec.nodeName set to itself`);
      return;
    }
    default:
      throw admissionForbidden(a, `unexpected pod subresource ${JSON.stringify(a.subresource)}, only 'status' and 'eviction' are allowed`);
  }
}

function admitNode(a: AdmissionAttributes, obj: KubeObject | undefined, old: KubeObject | undefined, node: string): void {
  const q = JSON.stringify(node);
  const target = a.name ?? obj?.metadata.name ?? '';
  if (target !== node) throw admissionForbidden(a, `node ${q} is not allowed to modify node ${JSON.stringify(target)}`);
  type NodeSpec = { configSource?: unknown; taints?: unknown[] } | undefined;
  if (a.operation === 'CREATE' && obj) {
    if ((obj.spec as NodeSpec)?.configSource) throw admissionForbidden(a, `node ${q} is not allowed to create pods with a non-nil configSource`);
    const bad = Object.keys(obj.metadata.labels ?? {}).filter(forbiddenLabel).sort();
    if (bad.length) throw admissionForbidden(a, `node ${q} is not allowed to set the following labels: ${bad.join(', ')}`);
  }
  if (a.operation === 'UPDATE' && obj && old) {
    const spec = obj.spec as NodeSpec;
    const oldSpec = old.spec as NodeSpec;
    if (spec?.configSource && !semanticEqual(spec.configSource, oldSpec?.configSource)) throw admissionForbidden(a, `node ${q} is not allowed to update configSource to a new non-nil configSource`);
    if (!semanticEqual(spec?.taints, oldSpec?.taints)) throw admissionForbidden(a, `node ${q} is not allowed to modify taints`);
    const changed = modifiedLabels(obj.metadata.labels, old.metadata.labels).filter(forbiddenLabel).sort();
    if (changed.length) throw admissionForbidden(a, `is not allowed to modify labels: ${changed.join(', ')}`);
  }
}

function admitPvc(a: AdmissionAttributes, obj: KubeObject | undefined, old: KubeObject | undefined, node: string): void {
  if (a.subresource !== 'status') throw admissionForbidden(a, 'may only update PVC status');
  if (a.operation !== 'UPDATE' || !obj || !old) throw admissionForbidden(a, `unexpected operation ${JSON.stringify(a.operation)}`);
  // Everything but status.capacity, status.conditions and the expansion-recovery fields must stay as it was.
  const strip = (o: KubeObject): unknown => {
    const c = structuredClone(o) as KubeObject & { status?: Record<string, unknown> };
    delete c.metadata.resourceVersion;
    delete c.metadata.managedFields;
    if (c.status) for (const k of ['capacity', 'conditions', 'allocatedResourceStatuses', 'allocatedResources']) delete c.status[k];
    return c;
  };
  const before = JSON.stringify(strip(old));
  const after = JSON.stringify(strip(obj));
  if (before !== after) throw admissionForbidden(a, `node ${JSON.stringify(node)} is not allowed to update fields other than status.capacity and status.conditions: ${after}`);
}

async function admitTokenRequest(a: AdmissionAttributes, obj: KubeObject | undefined, node: string, ctx: AdmissionContext): Promise<void> {
  if (a.operation !== 'CREATE' || a.subresource !== 'token') return;
  const ref = (obj?.spec as { boundObjectRef?: { apiVersion?: string; kind?: string; name?: string; uid?: string } } | undefined)?.boundObjectRef;
  if (!ref || ref.apiVersion !== 'v1' || ref.kind !== 'Pod' || !ref.name) throw admissionForbidden(a, 'node requested token not bound to a pod');
  if (!ref.uid) throw admissionForbidden(a, 'node requested token with a pod binding without a uid');
  const p = await existingPod(ctx, a.namespace, ref.name);
  if (p.metadata.uid !== ref.uid) throw admissionForbidden(a, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
  if (nodeOfPod(p) !== node) throw admissionForbidden(a, 'node requested token bound to a pod scheduled on a different node');
}

/** Leases and CSINodes: only the object named after the node; on create the name comes from the body. */
function sameNameAsNode(a: AdmissionAttributes, obj: KubeObject | undefined, node: string, message: string): void {
  const name = a.operation === 'CREATE' ? obj?.metadata.name : a.name;
  if (name !== node) throw admissionForbidden(a, message);
}

/**
 * NodeRestriction, as upstream's plugin: what the Node authorizer cannot see
 * from the URL alone. A kubelet may create only mirror pods bound to (and
 * owned by) itself, touch only its own Node (not its restricted labels or its
 * taints), update status of and evict only its own pods, and request tokens
 * only for pods on itself. k8ts: a joined node's local-path provisioner may
 * write only the PersistentVolumes of that node's own disk.
 */
export async function admitNodeRestriction(a: AdmissionAttributes, obj: KubeObject | undefined, old: KubeObject | undefined, ctx: AdmissionContext): Promise<void> {
  if (a.user.groups.includes(NODE_LOCAL_PATH_GROUP)) await admitNodeLocalPath(a, obj, old, ctx);
  if (!isNodeUser(a.user)) return;
  const node = nodeNameOf(a.user);
  if (!node) throw admissionForbidden(a, `could not determine node from user ${JSON.stringify(a.user.username)}`);
  const group = a.group;
  if (group === '' && a.resource === 'pods') return admitPod(a, obj, old, node, ctx);
  if (group === '' && a.resource === 'nodes') return admitNode(a, obj, old, node);
  if (group === '' && a.resource === 'persistentvolumeclaims') return admitPvc(a, obj, old, node);
  if (group === '' && a.resource === 'serviceaccounts') return admitTokenRequest(a, obj, node, ctx);
  if (group === 'coordination.k8s.io' && a.resource === 'leases') {
    if (a.namespace !== 'kube-node-lease') throw admissionForbidden(a, 'can only access leases in the "kube-node-lease" system namespace');
    return sameNameAsNode(a, obj, node, 'can only access node lease with the same name as the requesting node');
  }
  if (group === 'storage.k8s.io' && a.resource === 'csinodes') return sameNameAsNode(a, obj, node, 'can only access CSINode with the same name as the requesting node');
}
