// core/v1 PersistentVolume and PersistentVolumeClaim defaults.

import { canonicalizeResourceList, ensure, rec, setIfEmpty, setIfUnset, type Obj } from './util.js';

export function defaultPVC(obj: Obj): void {
  const spec = ensure(obj, 'spec');
  setIfUnset(spec, 'volumeMode', 'Filesystem');
  canonicalizeResourceList(rec(spec.resources)?.requests);
  canonicalizeResourceList(rec(spec.resources)?.limits);
  const status = ensure(obj, 'status');
  setIfEmpty(status, 'phase', 'Pending');
}

export function defaultPV(obj: Obj): void {
  const spec = ensure(obj, 'spec');
  setIfEmpty(spec, 'persistentVolumeReclaimPolicy', 'Retain');
  setIfUnset(spec, 'volumeMode', 'Filesystem');
  canonicalizeResourceList(spec.capacity);
  const hp = rec(spec.hostPath);
  if (hp) setIfUnset(hp, 'type', '');
  const status = ensure(obj, 'status');
  setIfEmpty(status, 'phase', 'Pending');
}

export function defaultStorageClass(obj: Obj): void {
  setIfEmpty(obj, 'reclaimPolicy', 'Delete');
  setIfEmpty(obj, 'volumeBindingMode', 'Immediate');
}
