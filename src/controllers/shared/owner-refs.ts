import type { KubeObject, OwnerReference } from '../../api/types.js';

// ownerReferences as the controllers use them: one controller reference per
// object (controller: true), and blockOwnerDeletion so that foreground
// deletion of the owner waits for its pods.

export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * The owner in `candidates` that the controller reference points at, or
 * undefined when the reference names another kind or a since-recreated
 * object of the same name (different uid).
 */
export function resolveControllerRef<T extends KubeObject>(ref: OwnerReference | undefined, kind: string, lookup: (name: string) => T | undefined): T | undefined {
  if (!ref || ref.kind !== kind) return undefined;
  const owner = lookup(ref.name);
  if (!owner || owner.metadata.uid !== ref.uid) return undefined;
  return owner;
}
