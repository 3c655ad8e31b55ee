// core/v1 Namespace: spec.finalizers use the finalizer-name rules.

import type { KubeObject } from '../../types.js';
import { index, invalid, type FieldError } from '../field.js';
import { isQualifiedName } from '../names.js';
import { asArray, asRecord, str } from '../util.js';

export function validateNamespace(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  asArray(asRecord(obj.spec)?.finalizers).forEach((raw, i) => {
    const f = str(raw);
    const p = index('spec.finalizers', i);
    errs.push(...isQualifiedName(f).map((m) => invalid(p, f, m)));
    if (!f.includes('/') && !['kubernetes', 'orphan', 'foregroundDeletion'].includes(f)) {
      errs.push(invalid(p, f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
  return errs;
}
