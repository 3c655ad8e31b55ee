// core/v1 PersistentVolumeClaim.

import type { KubeObject } from '../../types.js';
import { forbidden, invalid, notSupported, required, type FieldError } from '../field.js';
import { nameIsDNSSubdomain } from '../meta.js';
import { quantityAt } from '../pod/resources.js';
import { validateLabelSelector } from '../selector.js';
import { asRecord, clone, semanticEqual, str } from '../util.js';
import { validateAccessModes, VOLUME_MODES } from './persistentvolume.js';

function specDiffText(a: unknown, b: unknown): string {
  return `  core.PersistentVolumeClaimSpec{\n- \t${JSON.stringify(a)}\n+ \t${JSON.stringify(b)}\n  }\n`;
}

export function validatePersistentVolumeClaim(obj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = asRecord(obj.spec) ?? {};
  const errs = validateAccessModes(spec.accessModes, 'spec.accessModes');
  if (spec.selector) errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const requests = asRecord(asRecord(spec.resources)?.requests) ?? {};
  const p = 'spec.resources[storage]';
  if (!('storage' in requests)) errs.push(required(p));
  else {
    const q = quantityAt(requests.storage, p, errs);
    if (q && q.sign() <= 0) errs.push(invalid(p, q.toString(), 'must be greater than zero'));
  }
  const sc = str(spec.storageClassName);
  if (sc) errs.push(...nameIsDNSSubdomain(sc, false).map((m) => invalid('spec.storageClassName', sc, m)));
  if (typeof spec.volumeMode === 'string' && !VOLUME_MODES.includes(spec.volumeMode)) errs.push(notSupported('spec.volumeMode', spec.volumeMode, VOLUME_MODES));
  if (old) {
    const oldSpec = asRecord(old.spec) ?? {};
    const a = clone(spec);
    const b = clone(oldSpec);
    if (!str(oldSpec.volumeName)) b.volumeName = a.volumeName;
    // An unset class may be set once.
    if ((b.storageClassName === undefined || b.storageClassName === null) && a.storageClassName !== undefined) b.storageClassName = a.storageClassName;
    const bound = str(asRecord(obj.status)?.phase) === 'Bound';
    if (bound) {
      const ra = asRecord(a.resources) ?? {};
      const rb = asRecord(b.resources) ?? {};
      ra.requests = { ...(asRecord(ra.requests) ?? {}), storage: asRecord(rb.requests)?.storage };
      a.resources = ra;
      a.volumeAttributesClassName = b.volumeAttributesClassName;
    }
    if (!semanticEqual(a, b)) {
      errs.push(forbidden('spec', `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${specDiffText(b, a)}`));
    }
    const oldReq = asRecord(asRecord(oldSpec.resources)?.requests)?.storage;
    const nq = quantityAt(requests.storage ?? '0', 'spec.resources.requests.storage', []);
    const oq = quantityAt(oldReq ?? '0', 'spec.resources.requests.storage', []);
    if (nq && oq && nq.cmp(oq) < 0) errs.push(forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
    if (!semanticEqual(spec.volumeMode, oldSpec.volumeMode)) errs.push(invalid('volumeMode', spec.volumeMode ?? null, 'field is immutable'));
  }
  return errs;
}
