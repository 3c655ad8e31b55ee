// core/v1 Secret: key names, size, and the keys each built-in type requires.

import type { KubeObject } from '../../types.js';
import { forbidden, invalid, key, required, tooLong, type FieldError } from '../field.js';
import { isConfigMapKey } from '../names.js';
import { asRecord, semanticEqual, str } from '../util.js';
import { base64Length, MAX_DATA_SIZE } from './configmap.js';

function jsonError(b64: string): string | undefined {
  try {
    JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
    return undefined;
  } catch {
    return 'invalid character looking for beginning of value';
  }
}

export function validateSecret(obj: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const data = asRecord(obj.data) ?? {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    errs.push(...isConfigMapKey(k).map((m) => invalid(key('data', k), k, m)));
    total += base64Length(str(v));
  }
  if (total > MAX_DATA_SIZE) errs.push(tooLong('data', MAX_DATA_SIZE));
  const type = str(obj.type);
  const has = (k: string) => k in data;
  switch (type) {
    case 'kubernetes.io/service-account-token':
      if (!str(obj.metadata.annotations?.['kubernetes.io/service-account.name'])) {
        errs.push(required(key('metadata.annotations', 'kubernetes.io/service-account.name')));
      }
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const k = type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(k)) {
        errs.push(required(key('data', k)));
        break;
      }
      const e = jsonError(str(data[k]));
      if (e) errs.push(invalid(key('data', k), '<secret contents redacted>', e));
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) errs.push(required(key('data', 'username')), required(key('data', 'password')));
      break;
    case 'kubernetes.io/ssh-auth':
      if (!str(data['ssh-privatekey'])) errs.push(required(key('data', 'ssh-privatekey')));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(required(key('data', 'tls.crt')));
      if (!has('tls.key')) errs.push(required(key('data', 'tls.key')));
      break;
  }
  if (old) {
    if (str(obj.type) !== str(old.type)) errs.push(invalid('type', str(obj.type), 'field is immutable'));
    if (old.immutable === true) {
      if (obj.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
      if (!semanticEqual(obj.data, old.data)) errs.push(forbidden('data', 'field is immutable when `immutable` is set'));
    }
  }
  return errs;
}
