// core/v1 ConfigMap.

import type { KubeObject } from '../../types.js';
import { forbidden, invalid, key, tooLong, type FieldError } from '../field.js';
import { byteLength, isConfigMapKey } from '../names.js';
import { asRecord, semanticEqual, str } from '../util.js';

export const MAX_DATA_SIZE = 1024 * 1024;

export function base64Length(v: string): number {
  return Buffer.from(v, 'base64').length;
}

export function validateConfigMap(obj: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const data = asRecord(obj.data) ?? {};
  const binary = asRecord(obj.binaryData) ?? {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    errs.push(...isConfigMapKey(k).map((m) => invalid(key('data', k), k, m)));
    if (k in binary) errs.push(invalid(key('data', k), k, 'duplicate of key present in binaryData'));
    total += byteLength(str(v));
  }
  for (const [k, v] of Object.entries(binary)) {
    errs.push(...isConfigMapKey(k).map((m) => invalid(key('binaryData', k), k, m)));
    if (k in data) errs.push(invalid(key('binaryData', k), k, 'duplicate of key present in data'));
    total += base64Length(str(v));
  }
  if (total > MAX_DATA_SIZE) errs.push(tooLong('', MAX_DATA_SIZE));
  if (old && old.immutable === true) {
    if (obj.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
    if (!semanticEqual(obj.data, old.data)) errs.push(forbidden('data', 'field is immutable when `immutable` is set'));
    if (!semanticEqual(obj.binaryData, old.binaryData)) errs.push(forbidden('binaryData', 'field is immutable when `immutable` is set'));
  }
  return errs;
}
