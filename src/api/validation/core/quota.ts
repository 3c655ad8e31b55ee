// core/v1 ResourceQuota and LimitRange: resource names and quantities.

import type { KubeObject } from '../../types.js';
import { child, index, invalid, key, notSupported, type FieldError } from '../field.js';
import { quantityAt, validateResourceName, validateResourceQuantityValue } from '../pod/resources.js';
import { asArray, asRecord, str } from '../util.js';

const LIMIT_TYPES = ['Container', 'PersistentVolumeClaim', 'Pod'];

function validateList(list: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, raw] of Object.entries(asRecord(list) ?? {})) {
    const p = key(field, name);
    errs.push(...validateResourceName(name, p));
    const q = quantityAt(raw, p, errs);
    if (q) errs.push(...validateResourceQuantityValue(name, q, p));
  }
  return errs;
}

export function validateResourceQuota(obj: KubeObject): FieldError[] {
  const spec = asRecord(obj.spec) ?? {};
  const errs = validateList(spec.hard, 'spec.hard');
  const scopes = asArray(spec.scopes).map((s) => str(s));
  const valid = ['BestEffort', 'CrossNamespacePodAffinity', 'NotBestEffort', 'NotTerminating', 'PriorityClass', 'Terminating', 'VolumeAttributesClass'];
  scopes.forEach((s) => {
    if (!valid.includes(s)) errs.push(invalid('spec.scopes', s, 'unsupported scope'));
  });
  return errs;
}

export function validateLimitRange(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  asArray(asRecord(obj.spec)?.limits).forEach((raw, i) => {
    const item = asRecord(raw) ?? {};
    const p = index('spec.limits', i);
    const t = str(item.type);
    if (!LIMIT_TYPES.includes(t)) errs.push(notSupported(child(p, 'type'), t, LIMIT_TYPES));
    for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) errs.push(...validateList(item[k], child(p, k)));
  });
  return errs;
}
