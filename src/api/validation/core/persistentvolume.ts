// core/v1 PersistentVolume.

import type { KubeObject } from '../../types.js';
import { child, forbidden, GoSyntax, invalid, key, notSupported, required, type FieldError } from '../field.js';
import { nameIsDNSSubdomain } from '../meta.js';
import { quantityAt } from '../pod/resources.js';
import { validatePathNoBacksteps } from '../pod/volumes.js';
import { asArray, asRecord, semanticEqual, str, type Obj } from '../util.js';

export const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
export const VOLUME_MODES = ['Block', 'Filesystem'];
const RECLAIM = ['Delete', 'Recycle', 'Retain'];
const PV_SOURCES = [
  'gcePersistentDisk', 'awsElasticBlockStore', 'hostPath', 'glusterfs', 'nfs', 'rbd', 'quobyte', 'cinder', 'cephfs', 'iscsi',
  'fc', 'flocker', 'flexVolume', 'azureFile', 'vsphereVolume', 'photonPersistentDisk', 'portworxVolume', 'azureDisk', 'scaleIO',
  'local', 'storageos', 'csi',
];

export function validateAccessModes(modes: unknown, field: string): FieldError[] {
  const list = asArray(modes).map((m) => str(m));
  const errs: FieldError[] = [];
  if (list.length === 0) return [required(field, 'at least 1 access mode is required')];
  let rwop = false;
  let other = false;
  for (const m of list) {
    if (!ACCESS_MODES.includes(m)) errs.push(notSupported(field, m, ACCESS_MODES));
    else if (m === 'ReadWriteOncePod') rwop = true;
    else other = true;
  }
  if (rwop && other) errs.push(forbidden(field, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

function validateSource(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const k of PV_SOURCES) {
    const src = asRecord(spec[k]);
    if (!src) continue;
    if (n > 0) {
      errs.push(forbidden(child('spec', k), 'may not specify more than 1 volume type'));
      continue;
    }
    n++;
    const p = child('spec', k);
    if (k === 'hostPath') {
      if (!str(src.path)) errs.push(required(child(p, 'path')));
      else errs.push(...validatePathNoBacksteps(str(src.path), child(p, 'path')));
    } else if (k === 'nfs') {
      if (!str(src.server)) errs.push(required(child(p, 'server')));
      if (!str(src.path)) errs.push(required(child(p, 'path')));
      else if (!str(src.path).startsWith('/')) errs.push(invalid(child(p, 'path'), str(src.path), 'must be an absolute path'));
    } else if (k === 'local') {
      if (!str(src.path)) errs.push(required(child(p, 'path')));
      if (!spec.nodeAffinity) errs.push(required('spec.nodeAffinity', 'Local volume requires node affinity'));
    } else if (k === 'csi') {
      if (!str(src.driver)) errs.push(required(child(p, 'driver')));
      if (!str(src.volumeHandle)) errs.push(required(child(p, 'volumeHandle')));
    }
  }
  if (n === 0) errs.push(required('spec', 'must specify a volume type'));
  return errs;
}

export function validatePersistentVolume(obj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = asRecord(obj.spec) ?? {};
  const errs = validateAccessModes(spec.accessModes, 'spec.accessModes');
  const cap = asRecord(spec.capacity) ?? {};
  const names = Object.keys(cap);
  if (names.length === 0) errs.push(required('spec.capacity'));
  if (!names.includes('storage') || names.length > 1) {
    errs.push(notSupported('spec.capacity', new GoSyntax(`core.ResourceList{${names.map((n) => `"${n}":resource.Quantity{...}`).join(', ')}}`), ['storage']));
  }
  for (const [n, raw] of Object.entries(cap)) {
    const p = key('spec.capacity', n);
    const q = quantityAt(raw, p, errs);
    if (q && q.sign() <= 0) errs.push(invalid(p, q.toString(), 'must be greater than zero'));
  }
  const rp = str(spec.persistentVolumeReclaimPolicy);
  if (rp && !RECLAIM.includes(rp)) errs.push(notSupported('spec.persistentVolumeReclaimPolicy', rp, RECLAIM));
  errs.push(...validateSource(spec));
  if (typeof spec.volumeMode === 'string' && !VOLUME_MODES.includes(spec.volumeMode)) errs.push(notSupported('spec.volumeMode', spec.volumeMode, VOLUME_MODES));
  const sc = str(spec.storageClassName);
  if (sc) errs.push(...nameIsDNSSubdomain(sc, false).map((m) => invalid('spec.storageClassName', sc, m)));
  if (old) {
    const oldSpec = asRecord(old.spec) ?? {};
    const src = (s: Obj) => Object.fromEntries(PV_SOURCES.map((k) => [k, s[k]]));
    if (!semanticEqual(src(spec), src(oldSpec))) errs.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
    if (!semanticEqual(spec.volumeMode, oldSpec.volumeMode)) errs.push(invalid('volumeMode', spec.volumeMode ?? null, 'field is immutable'));
    if (oldSpec.nodeAffinity && !semanticEqual(spec.nodeAffinity, oldSpec.nodeAffinity)) {
      errs.push(invalid('spec.nodeAffinity', new GoSyntax('&core.VolumeNodeAffinity{...}'), 'field is immutable'));
    }
  }
  return errs;
}
