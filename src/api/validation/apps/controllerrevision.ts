// apps/v1 ControllerRevision: history snapshots, immutable once written.

import type { KubeObject } from '../../types.js';
import { invalid, required, type FieldError } from '../field.js';
import { semanticEqual } from '../util.js';
import { nonNegative } from './common.js';

export function validateControllerRevision(obj: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (obj.data === undefined || obj.data === null) errs.push(required('data', 'data is mandatory'));
  errs.push(...nonNegative(obj.revision, 'revision'));
  if (old && !semanticEqual(obj.data, old.data)) errs.push(invalid('data', 'runtime.RawExtension', 'field is immutable'));
  return errs;
}
