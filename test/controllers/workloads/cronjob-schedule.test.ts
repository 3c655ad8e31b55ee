import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchedule } from '../../../src/controllers/cronjob/schedule.js';
import { InvalidScheduleError, jobNameFor, mostRecentScheduleTime, nextScheduleDelayMs, rfc3339In } from '../../../src/controllers/cronjob/times.js';
import type { CronJob } from '../../../src/controllers/cronjob/types.js';

// The schedule arithmetic of the CronJob controller, with upstream's cases
// (cronjob utils_test.go: mostRecentScheduleTime and nextScheduleTime).

const T = (s: string) => Date.parse(s);
const cj = (created: string, last?: string, sds?: number): CronJob => ({
  metadata: { name: 'cj', namespace: 'default', creationTimestamp: created },
  spec: { schedule: '', startingDeadlineSeconds: sds },
  status: last ? { lastScheduleTime: last } : {},
});

describe('CronJob schedules', () => {
  test('robfig dialect: descriptors, ?, @every, time zones', () => {
    const from = T('2026-01-01T00:00:30Z');
    assert.equal(parseSchedule('*/1 * * * *', 'UTC').next(from), T('2026-01-01T00:01:00Z'));
    assert.equal(parseSchedule('@hourly', 'UTC').next(from), T('2026-01-01T01:00:00Z'));
    assert.equal(parseSchedule('@midnight', 'UTC').next(from), T('2026-01-02T00:00:00Z'));
    assert.equal(parseSchedule('@weekly', 'UTC').next(from), T('2026-01-04T00:00:00Z'));
    assert.equal(parseSchedule('0 0 ? * *', 'UTC').next(from), T('2026-01-02T00:00:00Z'));
    assert.equal(parseSchedule('@every 90s').next(from), from + 90_000);
    // 09:00 in New York is 14:00 UTC in winter.
    assert.equal(parseSchedule('0 9 * * *', 'America/New_York').next(from), T('2026-01-01T14:00:00Z'));
    assert.equal(parseSchedule('CRON_TZ=Asia/Tokyo 0 9 * * *').next(from), T('2026-01-02T00:00:00Z'));
    // Day of month OR day of week when both are restricted, as robfig.
    assert.equal(parseSchedule('0 0 15 * MON', 'UTC').next(from), T('2026-01-05T00:00:00Z'));
    assert.equal(parseSchedule('59 23 31 2 *', 'UTC').next(from), undefined);
    assert.throws(() => parseSchedule('61 * * * *'), /end of range \(61\) above maximum \(59\): 61/);
    assert.throws(() => parseSchedule('* * * *'), /expected exactly 5 fields, found 4/);
  });

  test('the most recent due time, missed counts and the wake-up', () => {
    const every = parseSchedule('*/1 * * * *', 'UTC');
    // Nothing due yet.
    assert.equal(mostRecentScheduleTime(cj('2026-01-01T00:00:10Z'), T('2026-01-01T00:00:50Z'), every, true).mostRecentMs, undefined);
    // One due.
    const one = mostRecentScheduleTime(cj('2026-01-01T00:00:10Z'), T('2026-01-01T00:01:05Z'), every, true);
    assert.deepEqual([one.mostRecentMs, one.missed], [T('2026-01-01T00:01:00Z'), 'none']);
    // Three missed: only the latest is returned.
    const three = mostRecentScheduleTime(cj('2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z'), T('2026-01-01T00:04:30Z'), every, true);
    assert.deepEqual([three.mostRecentMs, three.missed], [T('2026-01-01T00:04:00Z'), 'few']);
    // More than 100 missed.
    const many = mostRecentScheduleTime(cj('2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z'), T('2026-01-01T05:00:30Z'), every, true);
    assert.deepEqual([many.mostRecentMs, many.missed], [T('2026-01-01T05:00:00Z'), 'many']);
    // startingDeadlineSeconds bounds how far back to look.
    const bounded = mostRecentScheduleTime(cj('2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z', 200), T('2026-01-01T05:00:30Z'), every, true);
    assert.equal(bounded.missed, 'few');
    // Irregular schedules land on real times.
    const irregular = parseSchedule('30 6-16/4 * * 1-5', 'UTC');
    const r = mostRecentScheduleTime(cj('2026-01-05T00:00:00Z'), T('2026-01-07T12:00:00Z'), irregular, true);
    assert.equal(r.mostRecentMs, T('2026-01-07T10:30:00Z'));
    assert.throws(() => mostRecentScheduleTime(cj('2026-01-01T00:00:00Z'), T('2026-03-01T00:00:00Z'), parseSchedule('59 23 31 2 *', 'UTC'), true), InvalidScheduleError);
    assert.equal(nextScheduleDelayMs(cj('2026-01-01T00:00:10Z', '2026-01-01T00:01:00Z'), T('2026-01-01T00:01:20Z'), every), 40_100);
  });

  test('job names and the scheduled-timestamp annotation', () => {
    const c = cj('2026-01-01T00:00:00Z');
    assert.equal(jobNameFor(c, T('2026-01-01T00:01:00Z')), `cj-${T('2026-01-01T00:01:00Z') / 60_000}`);
    assert.equal(rfc3339In(T('2026-01-01T14:00:00Z'), undefined), '2026-01-01T14:00:00Z');
    assert.equal(rfc3339In(T('2026-01-01T14:00:00Z'), 'America/New_York'), '2026-01-01T09:00:00-05:00');
    assert.equal(rfc3339In(T('2026-07-01T00:30:00Z'), 'Asia/Kolkata'), '2026-07-01T06:00:00+05:30');
  });
});
