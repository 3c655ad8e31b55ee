// Pieces shared by the pod-template-carrying workloads.

import { child, forbidden, GoSyntax, goQuote, goStringMap, invalid, notSupported, required, type FieldError } from '../field.js';
import { isValidPercent } from '../names.js';
import { goLabelSelector, selectorFor, validateLabelSelector, type Matcher } from '../selector.js';
import { validatePodTemplateSpec } from '../pod/spec.js';
import { asRecord, labelsOf, str } from '../util.js';

export function nonNegative(v: unknown, field: string): FieldError[] {
  return typeof v === 'number' && v < 0 ? [invalid(field, v, 'must be greater than or equal to 0')] : [];
}

/** %#v of an intstr.IntOrString. */
export function goIntOrString(v: unknown): GoSyntax {
  return typeof v === 'string'
    ? new GoSyntax(`intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(v)}}`)
    : new GoSyntax(`intstr.IntOrString{Type:0, IntVal:${typeof v === 'number' ? v : 0}, StrVal:""}`);
}

export function validatePositiveIntOrPercent(v: unknown, field: string): FieldError[] {
  if (typeof v === 'string') return isValidPercent(v).map((m) => invalid(field, goIntOrString(v), m));
  return nonNegative(v, field);
}

export function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(str(v));
  return m ? Number(m[1]) : 0;
}

export function notMoreThan100Percent(v: unknown, field: string): FieldError[] {
  const m = /^(\d+)%$/.exec(typeof v === 'string' ? v : '');
  return m && Number(m[1]) > 100 ? [invalid(field, goIntOrString(v), 'must not be greater than 100%')] : [];
}

/** spec.selector: required, valid, non-empty; returns the matcher (undefined if unusable). */
export function validateWorkloadSelector(spec: Record<string, unknown>, field: string, kindWord: string, errs: FieldError[]): Matcher | undefined {
  const sp = child(field, 'selector');
  if (spec.selector === undefined || spec.selector === null) {
    errs.push(required(sp));
  } else {
    errs.push(...validateLabelSelector(spec.selector, sp));
    const s = asRecord(spec.selector) ?? {};
    if (Object.keys(asRecord(s.matchLabels) ?? {}).length + (Array.isArray(s.matchExpressions) ? s.matchExpressions.length : 0) === 0) {
      errs.push(invalid(sp, goLabelSelector(spec.selector), `empty selector is invalid for ${kindWord}`));
    }
  }
  const m = selectorFor(spec.selector);
  if (!m) errs.push(invalid(sp, goLabelSelector(spec.selector), 'invalid label selector'));
  return m;
}

/** ValidatePodTemplateSpecForReplicaSet and friends. */
export function validateTemplateForSelector(template: unknown, selector: Matcher | undefined, field: string, kind: string): FieldError[] {
  const errs: FieldError[] = [];
  const t = asRecord(template);
  if (!t) return [required(field)];
  const meta = asRecord(t.metadata) ?? {};
  if (selector && !selector.empty && !selector.matches(labelsOf(meta.labels))) {
    errs.push(invalid(child(field, 'metadata', 'labels'), goStringMap(asRecord(meta.labels) ? labelsOf(meta.labels) : undefined), '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(t, field));
  const spec = asRecord(t.spec) ?? {};
  if (str(spec.restartPolicy) !== 'Always') errs.push(notSupported(child(field, 'spec', 'restartPolicy'), str(spec.restartPolicy), ['Always']));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    errs.push(forbidden(child(field, 'spec', 'activeDeadlineSeconds'), `activeDeadlineSeconds in ${kind} is not Supported`));
  }
  return errs;
}
