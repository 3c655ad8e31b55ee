// batch/v1 CronJob.

import type { KubeObject } from '../../types.js';
import { invalid, notSupported, required, type FieldError } from '../field.js';
import { goLabelSelector } from '../selector.js';
import { asRecord, str } from '../util.js';
import { nonNegative } from '../apps/common.js';
import { cronError } from './cron.js';
import { validateJobSpecCommon } from './job.js';

const POLICIES = ['Allow', 'Forbid', 'Replace'];

export function validateCronJob(obj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = asRecord(obj.spec) ?? {};
  const oldSpec = old ? asRecord(old.spec) ?? {} : undefined;
  const errs: FieldError[] = [];
  const name = str(obj.metadata.name);
  if (!old && Buffer.byteLength(name) > 52) errs.push(invalid('metadata.name', name, 'must be no more than 52 characters'));
  const schedule = str(spec.schedule);
  if (!schedule) {
    errs.push(required('spec.schedule'));
  } else {
    const err = cronError(schedule);
    if (err) errs.push(invalid('spec.schedule', schedule, err));
    const allowTZ = oldSpec ? str(oldSpec.schedule).includes('TZ') : false;
    if (allowTZ && schedule.includes('TZ') && spec.timeZone !== undefined && spec.timeZone !== null) {
      errs.push(invalid('spec.schedule', schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
    } else if (!allowTZ && schedule.includes('TZ')) {
      errs.push(invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    }
  }
  errs.push(...nonNegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  if (typeof spec.timeZone === 'string') {
    const tz = spec.timeZone;
    let ok = tz.length > 0 && tz.trim() === tz;
    if (ok && tz !== 'Local') {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
      } catch {
        ok = false;
      }
    }
    if (tz.toLowerCase() === 'local') errs.push(invalid('spec.timeZone', tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
    else if (!ok) errs.push(invalid('spec.timeZone', tz, 'unknown time zone ' + tz));
  }
  const cp = str(spec.concurrencyPolicy);
  if (!cp) errs.push(required('spec.concurrencyPolicy'));
  else if (!POLICIES.includes(cp)) errs.push(notSupported('spec.concurrencyPolicy', cp, POLICIES));
  const jt = asRecord(spec.jobTemplate) ?? {};
  const jspec = asRecord(jt.spec) ?? {};
  errs.push(...validateJobSpecCommon(jspec, 'spec.jobTemplate.spec'));
  if (jspec.selector !== undefined && jspec.selector !== null) {
    errs.push(invalid('spec.jobTemplate.spec.selector', goLabelSelector(jspec.selector), '`selector` will be auto-generated'));
  }
  if (jspec.manualSelector === true) errs.push(notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  errs.push(...nonNegative(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
  errs.push(...nonNegative(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
  return errs;
}
