// Jobs and CronJobs: Job STATUS from its conditions, COMPLETIONS against the
// requested count, DURATION from start to completion (or to now).

import type { KubeObject } from '../../../api/types.js';
import { DESC } from '../descriptions.js';
import { humanDuration, parseTime, since } from '../duration.js';
import { arr, at, int, rec, recs, str } from '../fields.js';
import { formatLabelSelector } from '../labels.js';
import { ageCol, col, nameCol, templateCols, type Printer } from '../model.js';
import { containerCells } from './workloads.js';

function hasCondition(status: Record<string, unknown>, type: string): boolean {
  const c = recs(status.conditions).find((x) => x.type === type);
  return c?.status === 'True';
}

export function jobStatus(job: KubeObject): string {
  const s = rec(job.status);
  if (hasCondition(s, 'Complete')) return 'Complete';
  if (hasCondition(s, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (hasCondition(s, 'Suspended')) return 'Suspended';
  if (hasCondition(s, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function completions(job: KubeObject): string {
  const spec = rec(job.spec);
  const succeeded = int(rec(job.status).succeeded);
  if (typeof spec.completions === 'number') return `${succeeded}/${int(spec.completions)}`;
  const parallelism = int(spec.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(job: KubeObject, now: Date): string {
  const s = rec(job.status);
  const start = parseTime(s.startTime);
  if (start === undefined) return '';
  const end = parseTime(s.completionTime);
  return humanDuration((end ?? now.getTime()) - start);
}

export const jobPrinter: Printer = {
  columns: [
    nameCol(),
    col('Status', 'string', 'Status of the job.'),
    col('Completions', 'string', DESC.jobSucceeded),
    col('Duration', 'string', 'Time required to complete the job.'),
    ageCol(),
    ...templateCols(),
    col('Selector', 'string', DESC.jobSelector, 1),
  ],
  print(job, now) {
    return {
      cells: [
        str(job.metadata.name),
        jobStatus(job),
        completions(job),
        jobDuration(job, now),
        since(job.metadata.creationTimestamp, now),
        ...containerCells(at(job.spec, 'template', 'spec')),
        formatLabelSelector(rec(job.spec).selector),
      ],
    };
  },
};

export const cronJobPrinter: Printer = {
  columns: [
    nameCol(),
    col('Schedule', 'string', DESC.cronSchedule),
    col('Timezone', 'string', DESC.cronTimeZone),
    col('Suspend', 'boolean', DESC.cronSuspend),
    col('Active', 'integer', DESC.cronActive),
    col('Last Schedule', 'string', DESC.cronLastSchedule),
    ageCol(),
    ...templateCols(),
    col('Selector', 'string', DESC.jobSelector, 1),
  ],
  print(cj, now) {
    const spec = rec(cj.spec);
    const status = rec(cj.status);
    const jobSpec = at(spec, 'jobTemplate', 'spec');
    // Defaulting sets suspend=false, so upstream only prints "<unset>" for objects that skipped it.
    const suspend = spec.suspend === true ? 'True' : 'False';
    return {
      cells: [
        str(cj.metadata.name),
        str(spec.schedule),
        typeof spec.timeZone === 'string' ? spec.timeZone : '<none>',
        suspend,
        arr(status.active).length,
        status.lastScheduleTime ? since(status.lastScheduleTime, now) : '<none>',
        since(cj.metadata.creationTimestamp, now),
        ...containerCells(at(jobSpec, 'template', 'spec')),
        formatLabelSelector(rec(jobSpec).selector),
      ],
    };
  },
};
