// PersistentVolumes and PersistentVolumeClaims: capacity as a canonical
// quantity, access modes abbreviated (RWO, ROX, RWX, RWOP).

import type { KubeObject } from '../../../api/types.js';
import { DESC } from '../descriptions.js';
import { since } from '../duration.js';
import { arr, rec, str, strMap } from '../fields.js';
import { ageCol, col, nameCol, type Printer } from '../model.js';
import { formatQuantity } from '../quantity.js';

const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';
const MODE_ABBREVIATIONS: [string, string][] = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

export function accessModes(modes: unknown): string {
  const have = new Set(arr(modes).map(str));
  return MODE_ABBREVIATIONS.filter(([m]) => have.has(m))
    .map(([, a]) => a)
    .join(',');
}

function deleting(obj: KubeObject): boolean {
  return typeof obj.metadata.deletionTimestamp === 'string' && obj.metadata.deletionTimestamp !== '';
}

function optional(v: unknown): string {
  return typeof v === 'string' ? v : '<unset>';
}

export const persistentVolumePrinter: Printer = {
  columns: [
    nameCol(),
    col('Capacity', 'string', DESC.pvCapacity),
    col('Access Modes', 'string', DESC.pvAccessModes),
    col('Reclaim Policy', 'string', DESC.pvReclaimPolicy),
    col('Status', 'string', DESC.pvPhase),
    col('Claim', 'string', DESC.pvClaimRef),
    col('StorageClass', 'string', 'StorageClass of the pv'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    col('Reason', 'string', DESC.pvReason),
    ageCol(),
    col('VolumeMode', 'string', DESC.pvVolumeMode, 1),
  ],
  print(pv, now) {
    const spec = rec(pv.spec);
    const status = rec(pv.status);
    const claimRef = spec.claimRef === undefined || spec.claimRef === null ? undefined : rec(spec.claimRef);
    const annotations = strMap(pv.metadata.annotations);
    const storageClass = BETA_CLASS_ANNOTATION in annotations ? annotations[BETA_CLASS_ANNOTATION]! : str(spec.storageClassName);
    return {
      cells: [
        str(pv.metadata.name),
        formatQuantity(rec(spec.capacity).storage),
        accessModes(spec.accessModes),
        str(spec.persistentVolumeReclaimPolicy),
        deleting(pv) ? 'Terminating' : str(status.phase),
        claimRef ? `${str(claimRef.namespace)}/${str(claimRef.name)}` : '',
        storageClass,
        optional(spec.volumeAttributesClassName),
        str(status.reason),
        since(pv.metadata.creationTimestamp, now),
        optional(spec.volumeMode),
      ],
    };
  },
};

export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    nameCol(),
    col('Status', 'string', DESC.pvcPhase),
    col('Volume', 'string', DESC.pvcVolumeName),
    col('Capacity', 'string', DESC.pvcCapacity),
    col('Access Modes', 'string', DESC.pvcAccessModes),
    col('StorageClass', 'string', 'StorageClass of the pvc'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    ageCol(),
    col('VolumeMode', 'string', DESC.pvcVolumeMode, 1),
  ],
  print(pvc, now) {
    const spec = rec(pvc.spec);
    const status = rec(pvc.status);
    const volumeName = str(spec.volumeName);
    const annotations = strMap(pvc.metadata.annotations);
    const storageClass = BETA_CLASS_ANNOTATION in annotations ? annotations[BETA_CLASS_ANNOTATION]! : str(spec.storageClassName);
    return {
      cells: [
        str(pvc.metadata.name),
        deleting(pvc) ? 'Terminating' : str(status.phase),
        volumeName,
        // Capacity and modes describe the bound volume, so they stay blank until binding.
        volumeName ? formatQuantity(rec(status.capacity).storage) : '',
        volumeName ? accessModes(status.accessModes) : '',
        storageClass,
        optional(spec.volumeAttributesClassName),
        since(pvc.metadata.creationTimestamp, now),
        optional(spec.volumeMode),
      ],
    };
  },
};

/** StorageClasses: the default one carries " (default)" after its name, as kubectl shows it. */
export const storageClassPrinter: Printer = {
  columns: [
    nameCol(),
    col('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
    col('ReclaimPolicy', 'string', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.'),
    col('VolumeBindingMode', 'string', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.'),
    col('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
    ageCol(),
  ],
  print(sc, now) {
    const a = strMap(sc.metadata.annotations);
    const isDefault = a['storageclass.kubernetes.io/is-default-class'] === 'true' || a['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
    return {
      cells: [
        `${str(sc.metadata.name)}${isDefault ? ' (default)' : ''}`,
        str(sc.provisioner),
        str(sc.reclaimPolicy) || 'Delete',
        str(sc.volumeBindingMode) || 'Immediate',
        sc.allowVolumeExpansion === true ? 'true' : 'false',
        since(sc.metadata.creationTimestamp, now),
      ],
    };
  },
};
