// coordination.k8s.io/v1 Lease.

import type { KubeObject } from '../../types.js';
import { invalid, notSupported, type FieldError } from '../field.js';
import { asRecord } from '../util.js';

export function validateLease(obj: KubeObject): FieldError[] {
  const spec = asRecord(obj.spec) ?? {};
  const errs: FieldError[] = [];
  const d = spec.leaseDurationSeconds;
  if (typeof d === 'number' && d <= 0) errs.push(invalid('spec.leaseDurationSeconds', d, 'must be greater than 0'));
  const t = spec.leaseTransitions;
  if (typeof t === 'number' && t < 0) errs.push(invalid('spec.leaseTransitions', t, 'must be greater than or equal to 0'));
  if (typeof spec.strategy === 'string' && spec.strategy !== 'OldestEmulationVersion') {
    errs.push(notSupported('spec.strategy', spec.strategy, ['OldestEmulationVersion']));
  }
  return errs;
}
