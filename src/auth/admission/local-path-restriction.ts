import { notFound } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import {
  ANN_DYNAMICALLY_PROVISIONED,
  ANN_LOCAL_PATH_NODE,
  ANN_SELECTED_NODE,
  LOCAL_PATH_HOSTNAME_LABEL,
  LOCAL_PATH_PROVISIONER,
  PVCS,
  STORAGECLASSES,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type StorageClass,
} from '../../controllers/volume/types.js';
import type { NodeSelectorRequirement } from '../../scheduler/framework/types.js';
import { localPathNodeOf } from '../user.js';
import { admissionForbidden, lookupObject, type AdmissionAttributes, type AdmissionContext } from './types.js';

// k8ts's part of NodeRestriction, for the identity a joined node's local-path
// provisioner gets (system:k8ts:local-path-provisioner:NODE): RBAC lets it
// create and delete PersistentVolumes, and a volume it writes could be mounted
// by any node the volume allows; so, as a kubelet only writes the pods bound
// to itself, it may write only the volumes of its own disk: a hostPath pinned
// by nodeAffinity to NODE, provisioned by k8ts.io/local-path on NODE, of a
// class that provisioner serves, for a claim the scheduler gave to NODE.

/** A requirement that holds only on this node: its hostname label, or its name, In [node]. */
function pinsTo(r: NodeSelectorRequirement, node: string, field: boolean): boolean {
  const key = field ? 'metadata.name' : LOCAL_PATH_HOSTNAME_LABEL;
  return r.key === key && r.operator === 'In' && r.values?.length === 1 && r.values[0] === node;
}

/** Every required term (they are ORed) holds only on this node. */
function pinnedTo(pv: PersistentVolume, node: string): boolean {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  return terms.length > 0 && terms.every((t) => (t.matchExpressions ?? []).some((r) => pinsTo(r, node, false)) || (t.matchFields ?? []).some((r) => pinsTo(r, node, true)));
}

/** The checks a volume must pass whatever is done to it; the first that fails, as a message. */
function notOwn(pv: PersistentVolume, node: string, who: string, verb: string): string | undefined {
  const ann = pv.metadata.annotations ?? {};
  if (!pinnedTo(pv, node)) return `${who} can only ${verb} persistentvolumes whose spec.nodeAffinity pins them to itself (${LOCAL_PATH_HOSTNAME_LABEL} In [${node}])`;
  if (ann[ANN_DYNAMICALLY_PROVISIONED] !== LOCAL_PATH_PROVISIONER || ann[ANN_LOCAL_PATH_NODE] !== node) {
    return `${who} can only ${verb} persistentvolumes annotated ${ANN_DYNAMICALLY_PROVISIONED}=${LOCAL_PATH_PROVISIONER} and ${ANN_LOCAL_PATH_NODE}=${node}`;
  }
  return undefined;
}

async function classProblem(ctx: AdmissionContext, pv: PersistentVolume, who: string, verb: string): Promise<string | undefined> {
  const name = pv.spec?.storageClassName ?? '';
  const sc = name ? ((await lookupObject(ctx, STORAGECLASSES, undefined, name)) as StorageClass | undefined) : undefined;
  if (sc?.provisioner !== LOCAL_PATH_PROVISIONER) return `${who} can only ${verb} persistentvolumes of a StorageClass whose provisioner is ${JSON.stringify(LOCAL_PATH_PROVISIONER)}, not ${JSON.stringify(name)}`;
  if (!pv.spec?.hostPath) return `${who} can only ${verb} hostPath persistentvolumes`;
  return undefined;
}

/** A new volume binds a claim that exists, is the one named, and was scheduled to this node. */
async function claimProblem(ctx: AdmissionContext, pv: PersistentVolume, node: string, who: string): Promise<string | undefined> {
  const ref = pv.spec?.claimRef;
  if (!ref?.namespace || !ref.name || !ref.uid) return `${who} can only create persistentvolumes with a spec.claimRef naming a claim and its uid`;
  const claim = (await lookupObject(ctx, PVCS, ref.namespace, ref.name)) as PersistentVolumeClaim | undefined;
  if (!claim) throw notFound({ group: '', resource: 'persistentvolumeclaims' }, ref.name);
  if (claim.metadata.uid !== ref.uid) return `the UID in spec.claimRef (${ref.uid}) does not match the UID in record. The claim might have been deleted and then recreated`;
  if (claim.metadata.annotations?.[ANN_SELECTED_NODE] !== node) return `${who} can only create persistentvolumes for claims whose ${ANN_SELECTED_NODE} is itself`;
  return undefined;
}

const sameClaim = (a: PersistentVolume, b: PersistentVolume): boolean => {
  const x = a.spec?.claimRef;
  const y = b.spec?.claimRef;
  return (x?.namespace ?? '') === (y?.namespace ?? '') && (x?.name ?? '') === (y?.name ?? '') && (x?.uid ?? '') === (y?.uid ?? '');
};

/** Called by NodeRestriction for a user in system:k8ts:local-path-provisioners. */
export async function admitNodeLocalPath(a: AdmissionAttributes, obj: KubeObject | undefined, old: KubeObject | undefined, ctx: AdmissionContext): Promise<void> {
  if (a.group !== '' || a.resource !== 'persistentvolumes') return;
  const node = localPathNodeOf(a.user);
  if (!node) throw admissionForbidden(a, `could not determine node from user ${JSON.stringify(a.user.username)}`);
  const who = `local-path provisioner of node ${JSON.stringify(node)}`;
  const refuse = (msg: string | undefined): void => {
    if (msg) throw admissionForbidden(a, msg);
  };
  const pv = obj as PersistentVolume | undefined;
  const before = old as PersistentVolume | undefined;
  switch (a.operation) {
    case 'CREATE':
      if (!pv) throw admissionForbidden(a, 'unexpected type <nil>');
      refuse(notOwn(pv, node, who, 'create'));
      refuse(await classProblem(ctx, pv, who, 'create'));
      refuse(await claimProblem(ctx, pv, node, who));
      return;
    case 'UPDATE':
      if (!pv || !before) throw admissionForbidden(a, 'unexpected type <nil>');
      refuse(notOwn(before, node, who, 'update'));
      refuse(notOwn(pv, node, who, 'update'));
      if (pv.spec?.storageClassName !== before.spec?.storageClassName || !pv.spec?.hostPath) refuse(await classProblem(ctx, pv, who, 'update'));
      if (!sameClaim(pv, before)) refuse(`${who} cannot change spec.claimRef`);
      return;
    case 'DELETE':
      // The class may be gone by now: a released volume of its own disk is still its own to delete.
      if (!before) throw admissionForbidden(a, 'unexpected type <nil>');
      refuse(notOwn(before, node, who, 'delete'));
      return;
    default:
      throw admissionForbidden(a, `unexpected operation ${JSON.stringify(a.operation)}`);
  }
}
