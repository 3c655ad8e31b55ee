import type { KubeObject } from '../../api/types.js';
import type { RestClient } from '../../client/rest.js';
import type { ResourceInfo } from '../../api/scheme/resources.js';
import { isNotFound } from '../../client/status.js';
import type { StoreReader } from '../../client/store.js';
import { controllerOf } from './owner-refs.js';

// Adoption and orphaning, as upstream's ControllerRefManager: a controller
// owns the objects whose controller reference names it; it adopts orphans its
// selector matches and releases owned objects the selector no longer
// matches. Ownership changes are strategic-merge patches on ownerReferences
// (merged by uid), carrying the object's uid so a recreated object of the
// same name is never touched.

export interface ClaimOptions {
  client: RestClient;
  /** Resource of the objects being claimed (pods, replicasets, controllerrevisions). */
  resource: ResourceInfo;
  owner: KubeObject;
  ownerApiVersion: string;
  ownerKind: string;
  ownerResource: ResourceInfo;
  match(obj: KubeObject): boolean;
}

export class ClaimError extends Error {}

/** Returns the objects the owner controls after adopting and releasing. Errors of single objects are collected and thrown at the end. */
export async function claimObjects<T extends KubeObject>(objs: T[], o: ClaimOptions): Promise<T[]> {
  const claimed: T[] = [];
  const errors: Error[] = [];
  let adoptCheck: Promise<void> | undefined;
  // Adopting for an owner that was just deleted would leave objects pointing at nothing; re-read it once, uncached.
  const canAdopt = (): Promise<void> =>
    (adoptCheck ??= (async () => {
      const fresh = await o.client.get(o.ownerResource, o.owner.metadata.namespace, o.owner.metadata.name!);
      if (fresh.metadata.uid !== o.owner.metadata.uid) {
        throw new ClaimError(`original ${o.owner.metadata.namespace}/${o.owner.metadata.name} is gone: got uid ${fresh.metadata.uid}, wanted ${o.owner.metadata.uid}`);
      }
      if (fresh.metadata.deletionTimestamp) {
        throw new ClaimError(`${o.owner.metadata.namespace}/${o.owner.metadata.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
      }
    })());
  const ownerDeleting = !!o.owner.metadata.deletionTimestamp;
  for (const obj of objs) {
    const ref = controllerOf(obj);
    try {
      if (ref) {
        if (ref.uid !== o.owner.metadata.uid) continue;
        if (o.match(obj)) {
          claimed.push(obj);
          continue;
        }
        if (ownerDeleting) continue;
        await patchOwnerRefs(o, obj, [{ $patch: 'delete', uid: o.owner.metadata.uid }]);
        continue;
      }
      if (ownerDeleting || !o.match(obj) || obj.metadata.deletionTimestamp) continue;
      if (o.owner.metadata.namespace && o.owner.metadata.namespace !== obj.metadata.namespace) continue;
      await canAdopt();
      const adopted = await patchOwnerRefs(o, obj, [
        { apiVersion: o.ownerApiVersion, kind: o.ownerKind, name: o.owner.metadata.name, uid: o.owner.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
      if (adopted) claimed.push(adopted as T);
    } catch (err) {
      if (isNotFound(err)) continue;
      errors.push(err as Error);
      if (err instanceof ClaimError) break;
    }
  }
  if (errors.length > 0) throw errors[0];
  return claimed;
}

async function patchOwnerRefs(o: ClaimOptions, obj: KubeObject, refs: unknown[]): Promise<KubeObject | undefined> {
  const patch = { metadata: { ownerReferences: refs, uid: obj.metadata.uid } };
  try {
    return await o.client.patch(o.resource, obj.metadata.namespace, obj.metadata.name!, 'strategic', patch);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * A claim's candidates off a controller-UID index (orphans filed under ''): the owner's objects and the
 * namespace's orphans, as upstream's FilterPodsByOwner, not every object of the namespace.
 */
export function ownedAndOrphans<T extends KubeObject>(store: StoreReader<T>, index: string, ownerUid: string, namespace: string): { owned: T[]; orphans: T[] } {
  const inNamespace = (o: T): boolean => o.metadata.namespace === namespace;
  return { owned: store.byIndex(index, ownerUid).filter(inNamespace), orphans: store.byIndex(index, '').filter(inNamespace) };
}
