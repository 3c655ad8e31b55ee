// batch/v1 SetDefaults_Job / SetDefaults_CronJob.

import { generateJobSelector } from '../validation/batch/job.js';
import type { KubeObject } from '../types.js';
import { defaultPodTemplate } from './pod.js';
import { ensure, rec, setIfEmpty, setIfUnset, unset, type Obj } from './util.js';

function defaultJobSpec(spec: Obj): void {
  if (unset(spec.completions) && unset(spec.parallelism)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setIfUnset(spec, 'parallelism', 1);
  setIfUnset(spec, 'backoffLimit', unset(spec.backoffLimitPerIndex) ? 6 : 2147483647);
  setIfUnset(spec, 'completionMode', 'NonIndexed');
  setIfUnset(spec, 'suspend', false);
  setIfUnset(spec, 'podReplacementPolicy', unset(spec.podFailurePolicy) ? 'TerminatingOrFailed' : 'Failed');
  for (const rule of Array.isArray(rec(spec.podFailurePolicy)?.rules) ? (rec(spec.podFailurePolicy)!.rules as unknown[]) : []) {
    for (const c of Array.isArray(rec(rule)?.onPodConditions) ? (rec(rule)!.onPodConditions as unknown[]) : []) {
      const cond = rec(c);
      if (cond) setIfEmpty(cond, 'status', 'True');
    }
  }
  defaultPodTemplate(spec.template);
}

export function defaultJob(obj: Obj): void {
  const spec = ensure(obj, 'spec');
  defaultJobSpec(spec);
  // Selector generation needs the uid; when the registry has assigned it we do it here, else validation does.
  generateJobSelector(obj as KubeObject);
  const meta = ensure(obj, 'metadata');
  const tlabels = rec(rec(rec(spec.template)?.metadata)?.labels);
  if (tlabels && Object.keys(rec(meta.labels) ?? {}).length === 0) meta.labels = { ...tlabels };
}

export function defaultCronJob(obj: Obj): void {
  const spec = ensure(obj, 'spec');
  setIfEmpty(spec, 'concurrencyPolicy', 'Allow');
  setIfUnset(spec, 'suspend', false);
  setIfUnset(spec, 'successfulJobsHistoryLimit', 3);
  setIfUnset(spec, 'failedJobsHistoryLimit', 1);
  const jt = ensure(spec, 'jobTemplate');
  defaultPodTemplate(rec(jt.spec)?.template);
}
