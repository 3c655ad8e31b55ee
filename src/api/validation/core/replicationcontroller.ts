// core/v1 ReplicationController: map selectors, defaulted from template labels.

import type { KubeObject } from '../../types.js';
import { required, type FieldError } from '../field.js';
import { mapSelector } from '../selector.js';
import { asRecord, labelsOf } from '../util.js';
import { nonNegative, validateTemplateForSelector } from '../apps/common.js';

export function validateReplicationController(obj: KubeObject): FieldError[] {
  const spec = asRecord(obj.spec) ?? {};
  const errs: FieldError[] = [];
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  const selector = mapSelector(labelsOf(spec.selector));
  if (selector.empty) errs.push(required('spec.selector'));
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...validateTemplateForSelector(spec.template, selector, 'spec.template', 'ReplicationController'));
  return errs;
}
