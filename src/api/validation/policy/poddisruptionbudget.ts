// policy/v1 PodDisruptionBudget (ValidatePodDisruptionBudget and its status update).

import type { KubeObject } from '../../types.js';
import { GoSyntax, invalid, notSupported, type FieldError } from '../field.js';
import { validateLabelSelector } from '../selector.js';
import { asRecord } from '../util.js';
import { goIntOrString, nonNegative, notMoreThan100Percent, validatePositiveIntOrPercent } from '../apps/common.js';

const EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

const set = (v: unknown): boolean => v !== undefined && v !== null;

export function validatePodDisruptionBudget(obj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = asRecord(obj.spec) ?? {};
  const errs: FieldError[] = [];
  if (set(spec.minAvailable) && set(spec.maxUnavailable)) {
    const show = (v: unknown): string => (set(v) ? `&${goIntOrString(v).text}` : 'nil');
    errs.push(
      invalid(
        'spec',
        new GoSyntax(`policy.PodDisruptionBudgetSpec{MinAvailable:${show(spec.minAvailable)}, Selector:${set(spec.selector) ? '&v1.LabelSelector{...}' : 'nil'}, MaxUnavailable:${show(spec.maxUnavailable)}}`),
        'minAvailable and maxUnavailable cannot be both set',
      ),
    );
  }
  for (const f of ['minAvailable', 'maxUnavailable']) {
    if (!set(spec[f])) continue;
    errs.push(...validatePositiveIntOrPercent(spec[f], `spec.${f}`));
    errs.push(...notMoreThan100Percent(spec[f], `spec.${f}`));
  }
  if (set(spec.selector)) errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  if (set(spec.unhealthyPodEvictionPolicy) && !EVICTION_POLICIES.includes(String(spec.unhealthyPodEvictionPolicy))) {
    errs.push(notSupported('spec.unhealthyPodEvictionPolicy', spec.unhealthyPodEvictionPolicy, EVICTION_POLICIES));
  }
  if (old) {
    const status = asRecord(obj.status) ?? {};
    for (const f of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods']) errs.push(...nonNegative(status[f], `status.${f}`));
  }
  return errs;
}
