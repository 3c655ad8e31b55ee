// core/v1 Binding (pods/binding): the scheduler's node assignment.

import type { KubeObject } from '../../types.js';
import { notSupported, required, type FieldError } from '../field.js';
import { asRecord, str } from '../util.js';

export function validateBinding(obj: KubeObject): FieldError[] {
  const target = asRecord(obj.target) ?? {};
  const errs: FieldError[] = [];
  const kind = str(target.kind);
  if (kind && kind !== 'Node') errs.push(notSupported('target.kind', kind, ['Node', '<empty>']));
  if (!str(target.name)) errs.push(required('target.name'));
  return errs;
}
