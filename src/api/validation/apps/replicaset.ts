// apps/v1 ReplicaSet.

import type { KubeObject } from '../../types.js';
import { invalid, type FieldError } from '../field.js';
import { goLabelSelector } from '../selector.js';
import { asRecord, semanticEqual } from '../util.js';
import { nonNegative, validateTemplateForSelector, validateWorkloadSelector } from './common.js';

export function validateReplicaSet(obj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = asRecord(obj.spec) ?? {};
  const errs: FieldError[] = [];
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  // Upstream reuses the deployment wording here.
  const selector = validateWorkloadSelector(spec, 'spec', 'deployment', errs);
  if (selector) errs.push(...validateTemplateForSelector(spec.template, selector, 'spec.template', 'ReplicaSet'));
  if (old) {
    const oldSpec = asRecord(old.spec) ?? {};
    if (!semanticEqual(spec.selector, oldSpec.selector)) errs.push(invalid('spec.selector', goLabelSelector(spec.selector), 'field is immutable'));
  }
  return errs;
}
