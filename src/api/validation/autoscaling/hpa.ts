// autoscaling HorizontalPodAutoscaler, as upstream's
// pkg/apis/autoscaling/validation (1.32, HPAScaleToZero off). autoscaling/v1
// objects are validated in their v2 form, as upstream validates the
// internal type, so error paths name v2 fields for both.

import type { KubeObject } from '../../types.js';
import { tryParseQuantity } from '../../quantity.js';
import { forbidden, invalid, notSupported, required, type FieldError } from '../field.js';
import { validatePathSegmentName } from '../meta.js';
import { asArray, asRecord, str, type Obj } from '../util.js';

export const MAX_STABILIZATION_WINDOW_SECONDS = 3600;
export const MAX_PERIOD_SECONDS = 1800;
const SOURCE_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const SELECT_POLICIES = ['Disabled', 'Max', 'Min'];
const POLICY_TYPES = ['Percent', 'Pods'];
const MIN_REPLICAS_LOWER_BOUND = 1;

const isSet = (v: unknown): boolean => v !== undefined && v !== null;

export function validateCrossVersionObjectReference(ref: Obj | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const kind = str(ref?.kind);
  const name = str(ref?.name);
  if (!kind) errs.push(required(`${path}.kind`));
  else for (const m of validatePathSegmentName(kind)) errs.push(invalid(`${path}.kind`, kind, m));
  if (!name) errs.push(required(`${path}.name`));
  else for (const m of validatePathSegmentName(name)) errs.push(invalid(`${path}.name`, name, m));
  return errs;
}

function quantitySign(v: unknown): number | undefined {
  if (!isSet(v)) return undefined;
  const q = tryParseQuantity(v);
  return typeof q === 'string' ? 0 : q.sign();
}

function validateMetricTarget(t: Obj | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = str(t?.type);
  if (!type) errs.push(required(`${path}.type`, 'must specify a metric target type'));
  if (type !== 'Utilization' && type !== 'Value' && type !== 'AverageValue') errs.push(invalid(`${path}.type`, type, 'must be either Utilization, Value, or AverageValue'));
  if (isSet(t?.value) && quantitySign(t!.value) !== 1) errs.push(invalid(`${path}.value`, String(t!.value), 'must be positive'));
  if (isSet(t?.averageValue) && quantitySign(t!.averageValue) !== 1) errs.push(invalid(`${path}.averageValue`, String(t!.averageValue), 'must be positive'));
  if (isSet(t?.averageUtilization) && Number(t!.averageUtilization) < 1) errs.push(invalid(`${path}.averageUtilization`, t!.averageUtilization, 'must be greater than 0'));
  return errs;
}

function validateMetricIdentifier(id: Obj | undefined, path: string): FieldError[] {
  const name = str(id?.name);
  if (!name) return [required(`${path}.name`, 'must specify a metric name')];
  return validatePathSegmentName(name).map((m) => invalid(`${path}.name`, name, m));
}

function validateResourceLike(src: Obj, path: string, container: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!str(src.name)) errs.push(required(`${path}.name`, 'must specify a resource name'));
  if (container && !str(src.container)) errs.push(required(`${path}.container`, 'must specify a container'));
  const t = asRecord(src.target);
  errs.push(...validateMetricTarget(t, `${path}.target`));
  if (!isSet(t?.averageUtilization) && !isSet(t?.averageValue)) errs.push(required(`${path}.target.averageUtilization`, 'must set either a target raw value or a target utilization'));
  if (isSet(t?.averageUtilization) && isSet(t?.averageValue)) errs.push(forbidden(`${path}.target.averageValue`, 'may not set both a target raw value and a target utilization'));
  return errs;
}

function validateSource(type: string, src: Obj, path: string): FieldError[] {
  switch (type) {
    case 'resource':
      return validateResourceLike(src, path, false);
    case 'containerResource':
      return validateResourceLike(src, path, true);
    case 'pods': {
      const errs = [...validateMetricIdentifier(asRecord(src.metric), `${path}.metric`), ...validateMetricTarget(asRecord(src.target), `${path}.target`)];
      if (!isSet(asRecord(src.target)?.averageValue)) errs.push(required(`${path}.target.averageValue`, 'must specify a positive target averageValue'));
      return errs;
    }
    case 'object': {
      const t = asRecord(src.target);
      const errs = [
        ...validateCrossVersionObjectReference(asRecord(src.describedObject), `${path}.describedObject`),
        ...validateMetricIdentifier(asRecord(src.metric), `${path}.metric`),
        ...validateMetricTarget(t, `${path}.target`),
      ];
      if (!isSet(t?.value) && !isSet(t?.averageValue)) errs.push(required(`${path}.target.value`, 'must set either a target value or averageValue'));
      return errs;
    }
    case 'external': {
      const t = asRecord(src.target);
      const errs = [...validateMetricIdentifier(asRecord(src.metric), `${path}.metric`), ...validateMetricTarget(t, `${path}.target`)];
      if (isSet(t?.value) && isSet(t?.averageValue)) errs.push(forbidden(`${path}.target.value`, 'may not set both a target value for metric and a per-pod target'));
      if (!isSet(t?.value) && !isSet(t?.averageValue)) errs.push(required(`${path}.target.averageValue`, 'must set either a target value for metric or a per-pod target'));
      return errs;
    }
  }
  return [];
}

const FIELDS: [string, string][] = [
  ['Object', 'object'],
  ['Pods', 'pods'],
  ['Resource', 'resource'],
  ['External', 'external'],
  ['ContainerResource', 'containerResource'],
];

function validateMetricSpec(m: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = str(m.type);
  if (!type) errs.push(required(`${path}.type`, 'must specify a metric source type'));
  if (!SOURCE_TYPES.includes(type)) errs.push(notSupported(`${path}.type`, type, SOURCE_TYPES));
  const present: string[] = [];
  for (const [, f] of FIELDS) {
    const src = asRecord(m[f]);
    if (!src) continue;
    present.push(f);
    if (present.length === 1) errs.push(...validateSource(f, src, `${path}.${f}`));
  }
  const expected = FIELDS.find(([t]) => t === type)?.[1] ?? type.charAt(0).toLowerCase() + type.slice(1);
  if (!present.includes(expected)) errs.push(required(`${path}.${expected}`, 'must populate information for the given metric source'));
  if (present.length !== 1) for (const f of present) if (f !== expected) errs.push(forbidden(`${path}.${f}`, 'must populate the given metric source only'));
  return errs;
}

function validateScalingRules(rules: Obj | undefined, path: string): FieldError[] {
  if (!rules) return [];
  const errs: FieldError[] = [];
  const w = rules.stabilizationWindowSeconds;
  if (isSet(w) && Number(w) < 0) errs.push(invalid(`${path}.stabilizationWindowSeconds`, w, 'must be greater than or equal to zero'));
  if (isSet(w) && Number(w) > MAX_STABILIZATION_WINDOW_SECONDS) errs.push(invalid(`${path}.stabilizationWindowSeconds`, w, `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`));
  if (isSet(rules.selectPolicy) && !SELECT_POLICIES.includes(str(rules.selectPolicy))) errs.push(notSupported(`${path}.selectPolicy`, str(rules.selectPolicy), SELECT_POLICIES));
  const policies = asArray(rules.policies);
  if (!policies.length) errs.push(required(`${path}.policies`, 'must specify at least one Policy'));
  policies.forEach((p, i) => {
    const pol = asRecord(p) ?? {};
    const pp = `${path}.policies[${i}]`;
    if (!POLICY_TYPES.includes(str(pol.type))) errs.push(notSupported(`${pp}.type`, str(pol.type), POLICY_TYPES));
    const value = Number(pol.value ?? 0);
    if (!(value > 0)) errs.push(invalid(`${pp}.value`, pol.value ?? 0, 'must be greater than zero'));
    const period = Number(pol.periodSeconds ?? 0);
    if (!(period > 0)) errs.push(invalid(`${pp}.periodSeconds`, pol.periodSeconds ?? 0, 'must be greater than zero'));
    if (period > MAX_PERIOD_SECONDS) errs.push(invalid(`${pp}.periodSeconds`, pol.periodSeconds, `must be less than or equal to ${MAX_PERIOD_SECONDS}`));
  });
  return errs;
}

export function validateHorizontalPodAutoscalerSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const min = spec.minReplicas;
  const max = Number(spec.maxReplicas ?? 0);
  if (isSet(min) && Number(min) < MIN_REPLICAS_LOWER_BOUND) errs.push(invalid('spec.minReplicas', min, `must be greater than or equal to ${MIN_REPLICAS_LOWER_BOUND}`));
  if (max < 1) errs.push(invalid('spec.maxReplicas', spec.maxReplicas ?? 0, 'must be greater than 0'));
  if (isSet(min) && max < Number(min)) errs.push(invalid('spec.maxReplicas', spec.maxReplicas ?? 0, 'must be greater than or equal to `minReplicas`'));
  errs.push(...validateCrossVersionObjectReference(asRecord(spec.scaleTargetRef), 'spec.scaleTargetRef'));
  asArray(spec.metrics).forEach((m, i) => errs.push(...validateMetricSpec(asRecord(m) ?? {}, `spec.metrics[${i}]`)));
  const behavior = asRecord(spec.behavior);
  if (behavior) {
    errs.push(...validateScalingRules(asRecord(behavior.scaleUp), 'spec.behavior.scaleUp'));
    errs.push(...validateScalingRules(asRecord(behavior.scaleDown), 'spec.behavior.scaleDown'));
  }
  return errs;
}

export function validateHorizontalPodAutoscaler(obj: KubeObject): FieldError[] {
  const errs = validateHorizontalPodAutoscalerSpec(asRecord(obj.spec) ?? {});
  const status = asRecord(obj.status);
  if (status) {
    if (Number(status.currentReplicas ?? 0) < 0) errs.push(invalid('status.currentReplicas', status.currentReplicas, 'must be greater than or equal to 0'));
    if (Number(status.desiredReplicas ?? 0) < 0) errs.push(invalid('status.desiredReplicas', status.desiredReplicas, 'must be greater than or equal to 0'));
  }
  return errs;
}
