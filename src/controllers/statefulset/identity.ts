import type { OwnerReference } from '../../api/types.js';
import { podFromTemplate } from '../shared/pod-control.js';
import { REVISION_HASH_LABEL, templateOf, type ControllerRevision } from '../shared/history.js';
import { isPodAvailable, isPodReady } from '../shared/pod-utils.js';
import { newControllerRef } from '../shared/owner-refs.js';
import type { Pod } from '../shared/types.js';
import type { PersistentVolumeClaim, StatefulSet } from './types.js';

// A StatefulSet pod's identity, as upstream's stateful_set_utils: the name
// <set>-<ordinal>, the pod-name and pod-index labels, hostname and
// subdomain (for DNS through the governing Service), and one claim per
// volumeClaimTemplate named <template>-<set>-<ordinal>.

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

const NAME_RE = /^(.*)-([0-9]+)$/;

/** The parent's name and the ordinal a pod name encodes (-1 when it has none). */
export function parentAndOrdinal(pod: Pod): { parent: string; ordinal: number } {
  const m = NAME_RE.exec(pod.metadata.name ?? '');
  if (!m) return { parent: '', ordinal: -1 };
  const n = Number(m[2]);
  return Number.isSafeInteger(n) && n <= 2 ** 31 - 1 ? { parent: m[1]!, ordinal: n } : { parent: '', ordinal: -1 };
}

export function ordinalOf(pod: Pod): number {
  return parentAndOrdinal(pod).ordinal;
}

export function isMemberOf(set: StatefulSet, pod: Pod): boolean {
  return parentAndOrdinal(pod).parent === set.metadata.name;
}

export function startOrdinal(set: StatefulSet): number {
  return set.spec?.ordinals?.start ?? 0;
}

export function replicasOf(set: StatefulSet): number {
  return set.spec?.replicas ?? 1;
}

/** The last ordinal in range (start - 1 when scaled to zero). */
export function endOrdinal(set: StatefulSet): number {
  return startOrdinal(set) + replicasOf(set) - 1;
}

export function inOrdinalRange(set: StatefulSet, pod: Pod): boolean {
  const o = ordinalOf(pod);
  return o >= startOrdinal(set) && o <= endOrdinal(set);
}

export function podName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata.name}-${ordinal}`;
}

export function claimName(set: StatefulSet, template: PersistentVolumeClaim, ordinal: number): string {
  return `${template.metadata.name}-${set.metadata.name}-${ordinal}`;
}

export function revisionOf(pod: Pod): string {
  return pod.metadata.labels?.[REVISION_HASH_LABEL] ?? '';
}

/** The claims a pod of this ordinal mounts, keyed by template name, in template order. */
export function claimsFor(set: StatefulSet, ordinal: number): Map<string, PersistentVolumeClaim> {
  const out = new Map<string, PersistentVolumeClaim>();
  for (const t of set.spec?.volumeClaimTemplates ?? []) {
    const c = structuredClone(t);
    const name = t.metadata.name!;
    c.apiVersion = 'v1';
    c.kind = 'PersistentVolumeClaim';
    c.metadata = { ...c.metadata, name: claimName(set, t, ordinal), namespace: set.metadata.namespace, labels: { ...(c.metadata.labels ?? {}), ...(set.spec?.selector?.matchLabels ?? {}) } };
    delete c.status;
    out.set(name, c);
  }
  return out;
}

/** Name, namespace and identity labels (upstream's updateIdentity). */
export function setIdentity(set: StatefulSet, pod: Pod, ordinal: number): void {
  pod.metadata.name = podName(set, ordinal);
  pod.metadata.namespace = set.metadata.namespace;
  pod.metadata.labels = { ...(pod.metadata.labels ?? {}), [POD_NAME_LABEL]: pod.metadata.name, [POD_INDEX_LABEL]: String(ordinal) };
}

export function identityMatches(set: StatefulSet, pod: Pod): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod);
  return (
    ordinal >= 0 &&
    parent === set.metadata.name &&
    pod.metadata.namespace === set.metadata.namespace &&
    pod.metadata.labels?.[POD_NAME_LABEL] === pod.metadata.name &&
    pod.metadata.labels?.[POD_INDEX_LABEL] === String(ordinal)
  );
}

interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName?: string; readOnly?: boolean };
  [k: string]: unknown;
}

/** Claim volumes first, replacing pod volumes of the same name (upstream's updateStorage). */
export function setStorage(set: StatefulSet, pod: Pod, ordinal: number): void {
  const claims = claimsFor(set, ordinal);
  if (claims.size === 0) return;
  const current = (pod.spec?.volumes ?? []) as Volume[];
  const volumes: Volume[] = [...claims].map(([name, c]) => ({ name, persistentVolumeClaim: { claimName: c.metadata.name! } }));
  for (const v of current) if (!claims.has(v.name)) volumes.push(v);
  pod.spec = { ...(pod.spec ?? {}), volumes };
}

export function storageMatches(set: StatefulSet, pod: Pod): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const claims = claimsFor(set, ordinal);
  const volumes = new Map(((pod.spec?.volumes ?? []) as Volume[]).map((v) => [v.name, v]));
  for (const [name, c] of claims) {
    if (volumes.get(name)?.persistentVolumeClaim?.claimName !== c.metadata.name) return false;
  }
  return true;
}

/** A new pod of the set at one ordinal (upstream's newStatefulSetPod). */
export function newStatefulPod(set: StatefulSet, ordinal: number): Pod {
  const ref: OwnerReference = newControllerRef(set, 'apps/v1', 'StatefulSet');
  const pod = podFromTemplate(set.spec?.template ?? {}, set, ref);
  delete pod.metadata.generateName;
  setIdentity(set, pod, ordinal);
  // Set only at creation: they are immutable afterwards.
  pod.spec = { ...(pod.spec ?? {}), hostname: pod.metadata.name };
  if (set.spec?.serviceName) pod.spec.subdomain = set.spec.serviceName;
  setStorage(set, pod, ordinal);
  return pod;
}

/**
 * The set as a revision describes it: the revision's template in place of
 * the current one. Only the template is a copy of its own (the rest is
 * shared with `set`, and read only): a deep copy of the whole set, status
 * and managedFields included, twice a sync, was most of a sync's cost.
 */
export function applyRevision(set: StatefulSet, rev: ControllerRevision): StatefulSet {
  return { ...set, spec: { ...(set.spec ?? {}), template: templateOf(rev) } };
}

/**
 * A pod at the current revision below the partition (or, without a
 * rolling update, below currentReplicas), else at the update revision, as
 * upstream's newVersionedStatefulSetPod.
 */
export function newVersionedPod(currentSet: StatefulSet, updateSet: StatefulSet, currentRevision: string, updateRevision: string, ordinal: number): Pod {
  const us = currentSet.spec?.updateStrategy;
  const start = startOrdinal(currentSet);
  const atCurrent = us?.type === 'RollingUpdate' && (us.rollingUpdate === undefined ? ordinal < start + (currentSet.status?.currentReplicas ?? 0) : ordinal < start + (us.rollingUpdate.partition ?? 0));
  const pod = newStatefulPod(atCurrent ? currentSet : updateSet, ordinal);
  pod.metadata.labels = { ...(pod.metadata.labels ?? {}), [REVISION_HASH_LABEL]: atCurrent ? currentRevision : updateRevision };
  return pod;
}

export const isCreated = (p: Pod): boolean => !!p.status?.phase;
export const isTerminating = (p: Pod): boolean => !!p.metadata.deletionTimestamp;
export const isRunningAndReady = (p: Pod): boolean => p.status?.phase === 'Running' && isPodReady(p);
export const isRunningAndAvailable = (p: Pod, minReadySeconds: number, now: number): boolean => isRunningAndReady(p) && isPodAvailable(p, minReadySeconds, now);
export const isHealthy = (p: Pod): boolean => isRunningAndReady(p) && !isTerminating(p);
