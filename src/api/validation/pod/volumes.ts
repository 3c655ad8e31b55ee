// Pod volumes: unique DNS-label names and exactly one source each.

import { tryParseQuantity } from '../../quantity.js';
import { child, duplicate, forbidden, index, invalid, notSupported, required, type FieldError } from '../field.js';
import { isDNS1123Label } from '../names.js';
import { asArray, asRecord, str, type Obj } from '../util.js';

// JSON key of each source, in upstream's checking order, with the path
// upstream uses in its "more than 1 volume type" error (a few are misspelt there).
const SOURCES: [string, string][] = [
  ['emptyDir', 'emptyDir'], ['hostPath', 'hostPath'], ['gitRepo', 'gitRepo'], ['gcePersistentDisk', 'gcePersistentDisk'],
  ['awsElasticBlockStore', 'awsElasticBlockStore'], ['secret', 'secret'], ['nfs', 'nfs'], ['iscsi', 'iscsi'],
  ['glusterfs', 'glusterfs'], ['flocker', 'flocker'], ['persistentVolumeClaim', 'persistentVolumeClaim'], ['rbd', 'rbd'],
  ['cinder', 'cinder'], ['cephfs', 'cephFS'], ['quobyte', 'quobyte'], ['downwardAPI', 'downwarAPI'], ['fc', 'fc'],
  ['flexVolume', 'flexVolume'], ['configMap', 'configMap'], ['azureFile', 'azureFile'], ['vsphereVolume', 'vsphereVolume'],
  ['photonPersistentDisk', 'photonPersistentDisk'], ['portworxVolume', 'portworxVolume'], ['azureDisk', 'azureDisk'],
  ['storageos', 'storageos'], ['projected', 'projected'], ['scaleIO', 'scaleIO'], ['csi', 'csi'], ['ephemeral', 'ephemeral'],
  ['image', 'image'],
];

export const VOLUME_SOURCE_KEYS = SOURCES.map(([k]) => k);

const FILE_MODE_MSG = 'must be a number between 0 and 0777 (octal), both inclusive';
const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

export function validatePathNoBacksteps(p: string, field: string): FieldError[] {
  return p.split('/').includes('..') ? [invalid(field, p, "must not contain '..'")] : [];
}

export function validateLocalDescendingPath(p: string, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(invalid(field, p, 'must be a relative path'));
  return errs.concat(validatePathNoBacksteps(p, field));
}

function validateLocalNonReservedPath(p: string, field: string): FieldError[] {
  const errs = validateLocalDescendingPath(p, field);
  if (p.startsWith('..') && !p.startsWith('../')) errs.push(invalid(field, p, "must not start with '..'"));
  return errs;
}

function validateMode(mode: unknown, field: string): FieldError[] {
  if (typeof mode !== 'number') return [];
  return mode > 0o777 || mode < 0 ? [invalid(field, mode, FILE_MODE_MSG)] : [];
}

function validateKeyToPaths(items: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  asArray(items).forEach((raw, i) => {
    const kp = asRecord(raw) ?? {};
    const p = index(field, i);
    if (!str(kp.key)) errs.push(required(child(p, 'key')));
    if (!str(kp.path)) errs.push(required(child(p, 'path')));
    else errs.push(...validateLocalNonReservedPath(str(kp.path), child(p, 'path')));
    errs.push(...validateMode(kp.mode, child(p, 'mode')));
  });
  return errs;
}

function validateSource(name: string, src: Obj, field: string): FieldError[] {
  switch (name) {
    case 'emptyDir': {
      const limit = src.sizeLimit === undefined ? undefined : tryParseQuantity(src.sizeLimit);
      if (typeof limit === 'string') return [invalid(child(field, 'sizeLimit'), str(src.sizeLimit), limit)];
      if (limit && limit.sign() < 0) return [forbidden(child(field, 'sizeLimit'), 'SizeLimit field must be a valid resource quantity')];
      return [];
    }
    case 'hostPath': {
      if (!str(src.path)) return [required(child(field, 'path'))];
      const errs = validatePathNoBacksteps(str(src.path), child(field, 'path'));
      if (src.type !== undefined && src.type !== null && !HOST_PATH_TYPES.includes(str(src.type))) {
        errs.push(notSupported(child(field, 'type'), str(src.type), HOST_PATH_TYPES));
      }
      return errs;
    }
    case 'secret': {
      const errs: FieldError[] = [];
      if (!str(src.secretName)) errs.push(required(child(field, 'secretName')));
      errs.push(...validateMode(src.defaultMode, child(field, 'defaultMode')));
      return errs.concat(validateKeyToPaths(src.items, child(field, 'items')));
    }
    case 'configMap': {
      const errs: FieldError[] = [];
      if (!str(src.name)) errs.push(required(child(field, 'name')));
      errs.push(...validateMode(src.defaultMode, child(field, 'defaultMode')));
      return errs.concat(validateKeyToPaths(src.items, child(field, 'items')));
    }
    case 'persistentVolumeClaim':
      return str(src.claimName) ? [] : [required(child(field, 'claimName'))];
    case 'nfs': {
      const errs: FieldError[] = [];
      if (!str(src.server)) errs.push(required(child(field, 'server')));
      if (!str(src.path)) errs.push(required(child(field, 'path')));
      else if (!str(src.path).startsWith('/')) errs.push(invalid(child(field, 'path'), str(src.path), 'must be an absolute path'));
      return errs;
    }
    case 'csi':
      return str(src.driver) ? [] : [required(child(field, 'driver'))];
    case 'downwardAPI':
      return validateMode(src.defaultMode, child(field, 'defaultMode'));
    case 'projected':
      return validateMode(src.defaultMode, child(field, 'defaultMode'));
    default:
      return [];
  }
}

/** Validates spec.volumes; returns the names of the valid ones (mounts may only reference those). */
export function validateVolumes(volumes: unknown, field: string): { names: Map<string, Obj>; errs: FieldError[] } {
  const errs: FieldError[] = [];
  const names = new Map<string, Obj>();
  asArray(volumes).forEach((raw, i) => {
    const vol = asRecord(raw) ?? {};
    const p = index(field, i);
    const el: FieldError[] = [];
    let count = 0;
    for (const [k, errName] of SOURCES) {
      const src = asRecord(vol[k]);
      if (!src && vol[k] === undefined) continue;
      if (vol[k] === null) continue;
      if (count > 0) {
        el.push(forbidden(child(p, errName), 'may not specify more than 1 volume type'));
      } else {
        count++;
        el.push(...validateSource(k, src ?? {}, child(p, k)));
      }
    }
    if (count === 0) el.push(required(p, 'must specify a volume type'));
    const name = str(vol.name);
    const namePath = child(p, 'name');
    if (!name) el.push(required(namePath));
    else el.push(...isDNS1123Label(name).map((m) => invalid(namePath, name, m)));
    if (names.has(name)) el.push(duplicate(namePath, name));
    if (el.length === 0) names.set(name, vol);
    else errs.push(...el);
  });
  return { names, errs };
}
