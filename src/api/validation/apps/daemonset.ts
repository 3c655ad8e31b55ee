// apps/v1 DaemonSet.

import type { KubeObject } from '../../types.js';
import { child, GoSyntax, goStringMap, invalid, notSupported, required, type FieldError } from '../field.js';
import { goLabelSelector, selectorFor, validateLabelSelector } from '../selector.js';
import { validatePodTemplateSpec } from '../pod/spec.js';
import { asRecord, labelsOf, semanticEqual, str } from '../util.js';
import { goIntOrString, intOrPercentValue, nonNegative, notMoreThan100Percent, validatePositiveIntOrPercent } from './common.js';

function validateUpdateStrategy(strategy: unknown, field: string): FieldError[] {
  const s = asRecord(strategy) ?? {};
  const type = str(s.type);
  if (type === 'OnDelete') return [];
  if (type === 'RollingUpdate') {
    const ru = asRecord(s.rollingUpdate);
    const p = child(field, 'rollingUpdate');
    if (!ru) return [required(p)];
    const errs = [
      ...validatePositiveIntOrPercent(ru.maxUnavailable, child(p, 'maxUnavailable')),
      ...validatePositiveIntOrPercent(ru.maxSurge, child(p, 'maxSurge')),
    ];
    const mu = intOrPercentValue(ru.maxUnavailable);
    const ms = intOrPercentValue(ru.maxSurge);
    if (mu === 0 && ms === 0) errs.push(invalid(child(p, 'maxUnavailable'), goIntOrString(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
    if (mu !== 0 && ms !== 0) errs.push(invalid(child(p, 'maxSurge'), goIntOrString(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'));
    return errs.concat(notMoreThan100Percent(ru.maxUnavailable, child(p, 'maxUnavailable')));
  }
  return [notSupported(field, new GoSyntax(`apps.DaemonSetUpdateStrategy{Type:"${type}", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}`), ['RollingUpdate', 'OnDelete'])];
}

export function validateDaemonSet(obj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = asRecord(obj.spec) ?? {};
  const errs: FieldError[] = [];
  if (spec.selector === undefined || spec.selector === null) errs.push(required('spec.selector'));
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const template = asRecord(spec.template) ?? {};
  const tmeta = asRecord(template.metadata) ?? {};
  const sel = selectorFor(spec.selector);
  if (sel && !sel.matches(labelsOf(tmeta.labels))) {
    errs.push(invalid('spec.template.metadata.labels', goStringMap(asRecord(tmeta.labels) ? labelsOf(tmeta.labels) : undefined), '`selector` does not match template `labels`'));
  }
  const s = asRecord(spec.selector);
  if (s && Object.keys(asRecord(s.matchLabels) ?? {}).length + (Array.isArray(s.matchExpressions) ? s.matchExpressions.length : 0) === 0) {
    errs.push(invalid('spec.selector', goLabelSelector(spec.selector), 'empty selector is invalid for daemonset'));
  }
  errs.push(...validatePodTemplateSpec(template, 'spec.template'));
  const tspec = asRecord(template.spec) ?? {};
  if (str(tspec.restartPolicy) !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', str(tspec.restartPolicy), ['Always']));
  if (tspec.activeDeadlineSeconds !== undefined && tspec.activeDeadlineSeconds !== null) {
    errs.push(invalid('spec.template.spec.activeDeadlineSeconds', tspec.activeDeadlineSeconds, 'activeDeadlineSeconds in DaemonSet is not Supported'));
  }
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec.templateGeneration, 'spec.templateGeneration'));
  errs.push(...validateUpdateStrategy(spec.updateStrategy, 'spec.updateStrategy'));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (old) {
    const oldSpec = asRecord(old.spec) ?? {};
    if (!semanticEqual(spec.selector, oldSpec.selector)) errs.push(invalid('spec.selector', goLabelSelector(spec.selector), 'field is immutable'));
  }
  return errs;
}
