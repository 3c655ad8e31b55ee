// scheduling.k8s.io/v1 PriorityClass (ValidatePriorityClass / ValidatePriorityClassUpdate).

import type { KubeObject } from '../../types.js';
import { forbidden, invalid, notSupported, required, type FieldError } from '../field.js';
import { semanticEqual, str } from '../util.js';

export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
export const SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY;
export const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';

/** The classes every cluster has (upstream's SystemPriorityClasses). */
export const SYSTEM_PRIORITY_CLASSES = [
  { name: 'system-node-critical', value: SYSTEM_CRITICAL_PRIORITY + 1000, description: 'Used for system critical pods that must not be moved from their current node.' },
  { name: 'system-cluster-critical', value: SYSTEM_CRITICAL_PRIORITY, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
];

function knownSystemClassError(name: string, value: unknown, globalDefault: boolean): string {
  const spc = SYSTEM_PRIORITY_CLASSES.find((c) => c.name === name);
  if (!spc) return `${name} is not a known system priority class`;
  if (spc.value !== value) return `value of ${name} PriorityClass must be ${spc.value}`;
  if (globalDefault) return `globalDefault of ${name} PriorityClass must be false`;
  return '';
}

export function validatePriorityClass(obj: KubeObject, old?: KubeObject): FieldError[] {
  const pc = obj as KubeObject & { value?: unknown; globalDefault?: boolean; preemptionPolicy?: unknown };
  const errs: FieldError[] = [];
  if (old) {
    const o = old as typeof pc;
    if (pc.value !== o.value) errs.push(forbidden('value', 'may not be changed in an update.'));
    if (!semanticEqual(pc.preemptionPolicy, o.preemptionPolicy)) errs.push(invalid('preemptionPolicy', pc.preemptionPolicy, 'field is immutable'));
    return errs;
  }
  const name = str(obj.metadata.name);
  if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const e = knownSystemClassError(name, pc.value, pc.globalDefault === true);
    if (e) errs.push(forbidden('metadata.name', `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${e}`));
  } else if (typeof pc.value === 'number' && pc.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  if (pc.preemptionPolicy === undefined || pc.preemptionPolicy === null || pc.preemptionPolicy === '') errs.push(required('preemptionPolicy'));
  else if (pc.preemptionPolicy !== 'PreemptLowerPriority' && pc.preemptionPolicy !== 'Never') errs.push(notSupported('preemptionPolicy', pc.preemptionPolicy, ['Never', 'PreemptLowerPriority']));
  return errs;
}
