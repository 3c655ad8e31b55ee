// apps/v1 Deployment.

import type { KubeObject } from '../../types.js';
import { child, forbidden, GoSyntax, invalid, notSupported, required, type FieldError } from '../field.js';
import { goLabelSelector } from '../selector.js';
import { asRecord, semanticEqual, str } from '../util.js';
import {
  intOrPercentValue, nonNegative, notMoreThan100Percent, validatePositiveIntOrPercent, validateTemplateForSelector, validateWorkloadSelector, goIntOrString,
} from './common.js';

function validateStrategy(strategy: unknown, field: string): FieldError[] {
  const s = asRecord(strategy) ?? {};
  const type = str(s.type);
  const ru = asRecord(s.rollingUpdate);
  if (type === 'Recreate') {
    return ru ? [forbidden(child(field, 'rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'")] : [];
  }
  if (type === 'RollingUpdate') {
    if (!ru) return [required(child(field, 'rollingUpdate'), 'this should be defaulted and never be nil')];
    const p = child(field, 'rollingUpdate');
    const errs = [
      ...validatePositiveIntOrPercent(ru.maxUnavailable, child(p, 'maxUnavailable')),
      ...validatePositiveIntOrPercent(ru.maxSurge, child(p, 'maxSurge')),
    ];
    if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
      errs.push(invalid(child(p, 'maxUnavailable'), goIntOrString(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
    }
    return errs.concat(notMoreThan100Percent(ru.maxUnavailable, child(p, 'maxUnavailable')));
  }
  const shown = new GoSyntax(`apps.DeploymentStrategy{Type:"${type}", RollingUpdate:${ru ? '(*apps.RollingUpdateDeployment)(...)' : '(*apps.RollingUpdateDeployment)(nil)'}}`);
  return [notSupported(field, shown, ['Recreate', 'RollingUpdate'])];
}

export function validateDeployment(obj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = asRecord(obj.spec) ?? {};
  const errs: FieldError[] = [];
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  const selector = validateWorkloadSelector(spec, 'spec', 'deployment', errs);
  if (selector) errs.push(...validateTemplateForSelector(spec.template, selector, 'spec.template', 'ReplicaSet'));
  errs.push(...validateStrategy(spec.strategy, 'spec.strategy'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  const pds = spec.progressDeadlineSeconds;
  if (typeof pds === 'number') {
    if (pds <= 0) errs.push(invalid('spec.progressDeadlineSeconds', pds, 'must be greater than 0'));
    if (pds <= (typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0)) {
      errs.push(invalid('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'));
    }
  }
  if (old) {
    const oldSpec = asRecord(old.spec) ?? {};
    if (!semanticEqual(spec.selector, oldSpec.selector)) errs.push(invalid('spec.selector', goLabelSelector(spec.selector), 'field is immutable'));
  }
  return errs;
}
