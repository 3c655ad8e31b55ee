// batch/v1 Job and the job template CronJobs carry.

import type { KubeObject } from '../../types.js';
import { child, GoSyntax, goStringMap, invalid, notSupported, required, type FieldError } from '../field.js';
import { validatePodTemplateSpec } from '../pod/spec.js';
import { goLabelSelector, selectorFor, validateLabelSelector } from '../selector.js';
import { asRecord, labelsOf, semanticEqual, str, type Obj } from '../util.js';
import { nonNegative } from '../apps/common.js';

export const JOB_NAME_LABELS = ['job-name', 'batch.kubernetes.io/job-name'];
export const CONTROLLER_UID_LABELS = ['controller-uid', 'batch.kubernetes.io/controller-uid'];

/** The job strategy's selector generation (needs the uid, so it runs once the uid exists). */
export function generateJobSelector(obj: KubeObject): void {
  const spec = (asRecord(obj.spec) ?? {}) as Obj;
  if (spec.manualSelector === true || !obj.metadata.uid) return;
  const template = (asRecord(spec.template) ?? {}) as Obj;
  const meta = (asRecord(template.metadata) ?? {}) as Obj;
  const labels = (asRecord(meta.labels) ?? {}) as Record<string, string>;
  for (const k of JOB_NAME_LABELS) if (!(k in labels)) labels[k] = str(obj.metadata.name);
  for (const k of CONTROLLER_UID_LABELS) if (!(k in labels)) labels[k] = str(obj.metadata.uid);
  meta.labels = labels;
  template.metadata = meta;
  spec.template = template;
  const sel = (asRecord(spec.selector) ?? {}) as Obj;
  const ml = (asRecord(sel.matchLabels) ?? {}) as Record<string, string>;
  if (!(CONTROLLER_UID_LABELS[1] in ml)) ml[CONTROLLER_UID_LABELS[1]] = str(obj.metadata.uid);
  sel.matchLabels = ml;
  spec.selector = sel;
  obj.spec = spec;
}

/** validateJobSpec: what jobs and job templates share. */
export function validateJobSpecCommon(spec: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished']) {
    errs.push(...nonNegative(spec[k], child(field, k)));
  }
  if (spec.completionMode !== undefined && spec.completionMode !== null) {
    const mode = str(spec.completionMode);
    if (mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(notSupported(child(field, 'completionMode'), mode, ['NonIndexed', 'Indexed']));
    if (mode === 'Indexed' && typeof spec.completions !== 'number') errs.push(required(child(field, 'completions'), 'when completion mode is Indexed'));
  }
  errs.push(...validatePodTemplateSpec(spec.template, child(field, 'template')));
  const rp = str(asRecord(asRecord(spec.template)?.spec)?.restartPolicy);
  if (rp !== 'OnFailure' && rp !== 'Never') errs.push(required(child(field, 'template', 'spec', 'restartPolicy'), 'valid values: "OnFailure", "Never"'));
  return errs;
}

export function validateJob(obj: KubeObject, old?: KubeObject): FieldError[] {
  if (!old) generateJobSelector(obj);
  const spec = asRecord(obj.spec) ?? {};
  const errs: FieldError[] = [];
  if (spec.manualSelector !== true && spec.selector && !obj.metadata.uid) errs.push(required('metadata.uid'));
  errs.push(...validateJobSpecCommon(spec, 'spec'));
  if (spec.selector === undefined || spec.selector === null) errs.push(required('spec.selector'));
  else errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const sel = selectorFor(spec.selector);
  const tmeta = asRecord(asRecord(spec.template)?.metadata) ?? {};
  if (sel && !sel.matches(labelsOf(tmeta.labels))) {
    errs.push(invalid('spec.template.metadata.labels', goStringMap(asRecord(tmeta.labels) ? labelsOf(tmeta.labels) : undefined), '`selector` does not match template `labels`'));
  }
  if (old) {
    const oldSpec = asRecord(old.spec) ?? {};
    if (!semanticEqual(spec.completions, oldSpec.completions) && !(spec.completionMode === 'Indexed' && spec.completions === spec.parallelism)) {
      errs.push(invalid('spec.completions', spec.completions ?? null, 'field is immutable'));
    }
    if (!semanticEqual(spec.selector, oldSpec.selector)) errs.push(invalid('spec.selector', goLabelSelector(spec.selector), 'field is immutable'));
    if (!semanticEqual(spec.template, oldSpec.template)) errs.push(invalid('spec.template', new GoSyntax('core.PodTemplateSpec{...}'), 'field is immutable'));
    for (const k of ['completionMode', 'podFailurePolicy', 'backoffLimitPerIndex']) {
      if (!semanticEqual(spec[k], oldSpec[k])) errs.push(invalid(child('spec', k), typeof spec[k] === 'string' ? spec[k] : new GoSyntax(JSON.stringify(spec[k] ?? null)), 'field is immutable'));
    }
  }
  return errs;
}
