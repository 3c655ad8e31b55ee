import type { Schedule } from './schedule.js';
import type { CronJob } from './types.js';

// Upstream's mostRecentScheduleTime / nextScheduleTime arithmetic (cronjob
// utils.go): which scheduled time, if any, is due now, how many were missed,
// and when to look again.

/** Upstream gives up listing missed start times past this many. */
export const MANY_MISSED = 100;
/** Upstream's nextScheduleDelta: wake a little after the scheduled second. */
export const NEXT_SCHEDULE_DELTA_MS = 100;

export type Missed = 'none' | 'few' | 'many';

export interface RecentTime {
  earliestMs: number;
  /** The latest scheduled time not after now, if one is due. */
  mostRecentMs?: number;
  missed: Missed;
}

export class InvalidScheduleError extends Error {}

export function mostRecentScheduleTime(cj: CronJob, nowMs: number, sched: Schedule, includeStartingDeadline: boolean): RecentTime {
  let earliestMs = Date.parse(cj.metadata.creationTimestamp ?? '') || nowMs;
  if (cj.status?.lastScheduleTime) earliestMs = Date.parse(cj.status.lastScheduleTime);
  const sds = cj.spec?.startingDeadlineSeconds;
  if (includeStartingDeadline && typeof sds === 'number') {
    const deadline = nowMs - sds * 1000;
    if (deadline > earliestMs) earliestMs = deadline;
  }
  const t1 = sched.next(earliestMs);
  const t2 = t1 === undefined ? undefined : sched.next(t1);
  if (t1 !== undefined && nowMs < t1) return { earliestMs, missed: 'none' };
  if (t1 !== undefined && t2 !== undefined && nowMs < t2) return { earliestMs, mostRecentMs: t1, missed: 'none' };
  // A schedule that never fires (February 31st) gives no interval at all.
  const between = t1 !== undefined && t2 !== undefined ? Math.round((t2 - t1) / 1000) : 0;
  if (between < 1) throw new InvalidScheduleError('time difference between two schedules is less than 1 second');
  const elapsed = Math.trunc((nowMs - t1!) / 1000);
  const missedCount = Math.trunc(elapsed / between) + 1;
  // Start one interval early and let the schedule itself find the last time
  // not after now: irregular schedules (30 6-16/4 * * 1-5) are not periodic.
  const from = t1! + (missedCount - 2) * between * 1000;
  let mostRecentMs: number | undefined;
  for (let t = sched.next(from); t !== undefined && t <= nowMs; t = sched.next(t)) mostRecentMs = t;
  const missed: Missed = missedCount > MANY_MISSED ? 'many' : missedCount > 0 ? 'few' : 'none';
  return { earliestMs, mostRecentMs, missed };
}

/** How long (clock time) until the controller should look at this CronJob again. */
export function nextScheduleDelayMs(cj: CronJob, nowMs: number, sched: Schedule): number | undefined {
  let r: RecentTime;
  try {
    r = mostRecentScheduleTime(cj, nowMs, sched, false);
  } catch {
    return undefined;
  }
  const next = sched.next(r.mostRecentMs ?? r.earliestMs);
  if (next === undefined) return undefined;
  return next + NEXT_SCHEDULE_DELTA_MS - nowMs;
}

/** Job names carry the scheduled time in minutes since the epoch, so one time never makes two Jobs. */
export function jobNameFor(cj: CronJob, scheduledMs: number): string {
  return `${cj.metadata.name}-${Math.floor(scheduledMs / 60_000)}`;
}

/** RFC 3339 in the CronJob's time zone, as Go's time.Format(time.RFC3339) with In(location). */
export function rfc3339In(ms: number, timeZone: string | undefined): string {
  const tz = timeZone ?? 'UTC';
  if (tz === 'UTC' || tz === 'Etc/UTC') return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  const offMin = Math.round((local - Math.floor(ms / 1000) * 1000) / 60_000);
  if (offMin === 0) return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const sign = offMin < 0 ? '-' : '+';
  const a = Math.abs(offMin);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}
