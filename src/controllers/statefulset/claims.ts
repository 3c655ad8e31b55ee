import type { KubeObject, OwnerReference } from '../../api/types.js';
import type { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import type { EventRecorder } from '../../client/events/recorder.js';
import { isAlreadyExists, isNotFound } from '../../client/status.js';
import { resourceFor } from '../../api/scheme/resources.js';
import type { Pod } from '../shared/types.js';
import { claimsFor, inOrdinalRange, ordinalOf } from './identity.js';
import type { PersistentVolumeClaim, StatefulSet } from './types.js';

// A StatefulSet pod's claims: created before the pod and never deleted with
// it, so a re-created pod finds its data; who owns them follows
// persistentVolumeClaimRetentionPolicy, as upstream's StatefulSetAutoDeletePVC:
//   Retain/Retain: no owner; whenDeleted Delete: the set owns them (the
//   garbage collector removes them with the set); whenScaled Delete: a pod
//   beyond the replica count owns its claims (they go with the pod).

export const PVCS = resourceFor('', 'v1', 'persistentvolumeclaims')!;

function policyOf(set: StatefulSet): { whenDeleted: string; whenScaled: string } {
  const p = set.spec?.persistentVolumeClaimRetentionPolicy;
  return { whenDeleted: p?.whenDeleted ?? 'Retain', whenScaled: p?.whenScaled ?? 'Retain' };
}

const hasOwnerRef = (claim: KubeObject, owner: KubeObject): boolean => (claim.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid);

function matchesRef(ref: OwnerReference, obj: KubeObject, apiVersion: string, kind: string): boolean {
  return ref.name === obj.metadata.name && ref.kind === kind && ref.apiVersion === apiVersion;
}

/** A ref naming the object but with another uid: left by an earlier set or pod of the same name. */
function hasStaleOwnerRef(claim: KubeObject, obj: KubeObject, apiVersion: string, kind: string): boolean {
  const ref = (claim.metadata.ownerReferences ?? []).find((r) => matchesRef(r, obj, apiVersion, kind));
  return !!ref && ref.uid !== obj.metadata.uid;
}

function hasUnexpectedController(claim: KubeObject, set: StatefulSet, pod: Pod): boolean {
  return (claim.metadata.ownerReferences ?? []).some((r) => r.controller === true && r.uid !== set.metadata.uid && r.uid !== pod.metadata.uid);
}

function hasNonControllerOwner(claim: KubeObject, set: StatefulSet, pod: Pod): boolean {
  return (claim.metadata.ownerReferences ?? []).some((r) => (r.uid === set.metadata.uid || r.uid === pod.metadata.uid) && r.controller !== true);
}

/** Whether the claim's owners already say what the policy wants (upstream's isClaimOwnerUpToDate). */
export function claimOwnerUpToDate(claim: KubeObject, set: StatefulSet, pod: Pod): boolean {
  if (hasStaleOwnerRef(claim, set, 'apps/v1', 'StatefulSet') || hasStaleOwnerRef(claim, pod, 'v1', 'Pod')) return true;
  if (hasUnexpectedController(claim, set, pod)) return !(hasOwnerRef(claim, set) || hasOwnerRef(claim, pod));
  if (hasNonControllerOwner(claim, set, pod)) return false;
  const { whenDeleted, whenScaled } = policyOf(set);
  const scaledDown = !inOrdinalRange(set, pod);
  const wantSet = whenScaled === 'Delete' ? whenDeleted === 'Delete' && !scaledDown : whenDeleted === 'Delete';
  const wantPod = whenScaled === 'Delete' && scaledDown;
  return hasOwnerRef(claim, set) === wantSet && hasOwnerRef(claim, pod) === wantPod;
}

/** The claim's owner references as the policy wants them. */
export function ownerRefsForPolicy(claim: KubeObject, set: StatefulSet, pod: Pod): OwnerReference[] {
  const unexpected = hasUnexpectedController(claim, set, pod);
  const refs = (claim.metadata.ownerReferences ?? []).filter((r) => !matchesRef(r, set, 'apps/v1', 'StatefulSet') && !matchesRef(r, pod, 'v1', 'Pod'));
  if (unexpected) return refs;
  const { whenDeleted, whenScaled } = policyOf(set);
  const scaledDown = !inOrdinalRange(set, pod);
  const add = (owner: KubeObject, apiVersion: string, kind: string): void => {
    if (!refs.some((r) => r.uid === owner.metadata.uid)) refs.push({ apiVersion, kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true });
  };
  if (whenScaled === 'Delete' && scaledDown) add(pod, 'v1', 'Pod');
  else if (whenDeleted === 'Delete') add(set, 'apps/v1', 'StatefulSet');
  return refs;
}

export class ClaimControl {
  constructor(
    private readonly client: RestClient,
    private readonly recorder: EventRecorder,
    private readonly informer: Informer<PersistentVolumeClaim>,
  ) {}

  private cached(namespace: string | undefined, name: string): PersistentVolumeClaim | undefined {
    return this.informer.store.getByName(namespace, name);
  }

  /** Creates the pod's missing claims; a claim being deleted blocks the pod (upstream's createPersistentVolumeClaims). */
  async createMissing(set: StatefulSet, pod: Pod): Promise<void> {
    const errors: string[] = [];
    for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
      const have = this.cached(claim.metadata.namespace, claim.metadata.name!);
      if (have) {
        if (have.metadata.deletionTimestamp) errors.push(`pvc ${claim.metadata.name} is being deleted`);
        continue;
      }
      try {
        await this.client.create(PVCS, claim.metadata.namespace, claim);
        this.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${claim.metadata.name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success`);
      } catch (err) {
        if (isAlreadyExists(err)) continue;
        errors.push(`failed to create PVC ${claim.metadata.name}: ${(err as Error).message}`);
        this.recorder.event(set, 'Warning', 'FailedCreate', `create Claim ${claim.metadata.name} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`);
      }
    }
    if (errors.length) throw new Error(errors.join('; '));
  }

  /** A claim still owned by an earlier pod of this name: it is about to be collected, so the pod must wait. */
  isStale(set: StatefulSet, pod: Pod): boolean {
    if (policyOf(set).whenScaled === 'Retain') return false;
    for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
      const have = this.cached(claim.metadata.namespace, claim.metadata.name!);
      if (have && hasStaleOwnerRef(have, pod, 'v1', 'Pod')) return true;
    }
    return false;
  }

  matchesPolicy(set: StatefulSet, pod: Pod): boolean {
    for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
      const have = this.cached(claim.metadata.namespace, claim.metadata.name!);
      if (have && !claimOwnerUpToDate(have, set, pod)) return false;
    }
    return true;
  }

  /** Rewrites the owners of the pod's claims to follow the retention policy. */
  async updateForPolicy(set: StatefulSet, pod: Pod): Promise<void> {
    for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
      const have = this.cached(claim.metadata.namespace, claim.metadata.name!);
      if (!have || claimOwnerUpToDate(have, set, pod)) continue;
      const ownerReferences = ownerRefsForPolicy(have, set, pod);
      try {
        await this.client.patch(PVCS, have.metadata.namespace, have.metadata.name!, 'merge', { metadata: { uid: have.metadata.uid, resourceVersion: have.metadata.resourceVersion, ownerReferences } });
      } catch (err) {
        if (!isNotFound(err)) throw new Error(`could not update claim ${have.metadata.name} for delete policy ownerRefs: ${(err as Error).message}`);
      }
    }
  }
}
