import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, eventually, listPods, markPodFinished, type Harness } from './harness.js';
import { jobController } from '../../../src/controllers/job/controller.js';
import { cronJobControllerWithClock, SCHEDULED_TIMESTAMP_ANNOTATION } from '../../../src/controllers/cronjob/controller.js';
import { ScaledClock } from '../../../src/controllers/cronjob/clock.js';
import { CRONJOBS, JOBS } from '../../../src/controllers/shared/resources.js';
import type { CronJob } from '../../../src/controllers/cronjob/types.js';
import type { Job } from '../../../src/controllers/job/types.js';
import type { RunningController } from '../../../src/controllers/types.js';

// The CronJob controller against a real API server with the Job controller,
// on a clock that runs 30 times faster than the wall: a minute every 2 s.

const FACTOR = 30;

const cronJob = (name: string, schedule: string, extra = '', jobExtra = '') => `apiVersion: batch/v1
kind: CronJob
metadata: { name: ${name}, namespace: default }
spec:
  schedule: "${schedule}"
${extra}
  jobTemplate:
    metadata:
      labels: { cj: ${name} }
    spec:
${jobExtra}
      template:
        spec:
          restartPolicy: Never
          containers: [{ name: work, image: busybox, command: ["sleep", "3600"] }]
`;

describe('CronJob controller against a real API server', () => {
  let h: Harness;
  const clock = new ScaledClock(FACTOR);
  let cron: RunningController;
  before(async () => {
    h = await startHarness([jobController]);
    cron = await cronJobControllerWithClock(clock).start(h.ctx);
  });
  after(async () => {
    await cron?.stop();
    await h?.close();
  });

  const getCj = (n: string) => h.client.get<CronJob>(CRONJOBS, 'default', n);
  const jobsOf = async (n: string): Promise<Job[]> => (await h.client.list<Job>(JOBS, 'default', { labelSelector: `cj=${n}` })).items;
  const reasons = async (n: string): Promise<string[]> =>
    (await h.k(['get', 'events', '--field-selector', `involvedObject.name=${n},involvedObject.kind=CronJob`, '-o', 'jsonpath={.items[*].reason}'])).split(/\s+/).filter(Boolean);
  const isFinished = (j: Job) => j.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  const finishJob = async (j: Job, phase: 'Succeeded' | 'Failed' = 'Succeeded') => {
    const pods = await eventually(`a pod of ${j.metadata.name}`, async () => {
      const ps = (await listPods(h, 'default', `job-name=${j.metadata.name}`)).filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''));
      return ps.length > 0 && ps;
    });
    for (const p of pods) await markPodFinished(h, p, phase);
    await eventually(`${j.metadata.name} finished`, async () => isFinished(await h.client.get<Job>(JOBS, 'default', j.metadata.name!)));
  };

  test('Forbid with a job that outlives the minute: never two at once, JobAlreadyActive, then the next run', async () => {
    await h.k(['apply', '-f', '-'], cronJob('forbid', '*/1 * * * *', '  concurrencyPolicy: Forbid'));
    const first = await eventually('first job', async () => {
      const js = await jobsOf('forbid');
      return js.length === 1 && js[0];
    });
    // The job's name is the scheduled minute; the annotation says when that was.
    const minutes = Number(/^forbid-(\d+)$/.exec(first.metadata.name!)?.[1]);
    assert.ok(minutes > 0, first.metadata.name);
    assert.equal(first.metadata.annotations?.[SCHEDULED_TIMESTAMP_ANNOTATION], new Date(minutes * 60_000).toISOString().replace('.000Z', 'Z'));
    assert.equal(first.metadata.ownerReferences?.[0]?.kind, 'CronJob');
    assert.equal(first.metadata.ownerReferences?.[0]?.controller, true);
    const cj = await eventually('status.active', async () => {
      const c = await getCj('forbid');
      return c.status?.active?.length === 1 && c;
    });
    assert.equal(cj.status!.active![0]!.name, first.metadata.name);
    assert.equal(Date.parse(cj.status!.lastScheduleTime!), minutes * 60_000);
    // Three more scheduled minutes pass with the job still running.
    const until = clock.now() + 3 * 60_000;
    while (clock.now() < until) {
      const js = await jobsOf('forbid');
      assert.equal(js.filter((j) => !isFinished(j)).length, 1, `overlap: ${js.map((j) => j.metadata.name).join(',')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal((await jobsOf('forbid')).length, 1);
    await eventually('JobAlreadyActive', async () => (await reasons('forbid')).includes('JobAlreadyActive'));
    await finishJob(first);
    const second = await eventually('a second job after the first finished', async () => {
      const js = await jobsOf('forbid');
      return js.length === 2 && js.find((j) => j.metadata.name !== first.metadata.name);
    });
    assert.ok(Number(/-(\d+)$/.exec(second.metadata.name!)?.[1]) > minutes);
    const rs = await eventually('SawCompletedJob', async () => {
      const r = await reasons('forbid');
      return r.includes('SawCompletedJob') && r;
    });
    assert.ok(rs.includes('SuccessfulCreate'));
    const done = await eventually('lastSuccessfulTime', async () => {
      const c = await getCj('forbid');
      return c.status?.lastSuccessfulTime ? c : undefined;
    });
    assert.ok(Date.parse(done.status!.lastSuccessfulTime!) > 0);
    await h.k(['patch', 'cronjob', 'forbid', '-p', '{"spec":{"suspend":true}}']);
  });

  test('many CronJobs due in the same second: every one gets its Job and its status, Forbid holds across minutes', async () => {
    // More CronJobs than workers fall due together, so most status writes are put
    // off behind the other starts; each must still land, and Forbid must still
    // see its running Job at the next scheduled minutes.
    const names = Array.from({ length: 12 }, (_, i) => `burst-${i}`);
    await h.k(['apply', '-f', '-'], names.map((n) => cronJob(n, '*/1 * * * *', '  concurrencyPolicy: Forbid')).join('---\n'));
    const statuses = await eventually('every CronJob recording its Job', async () => {
      const cjs = await Promise.all(names.map(getCj));
      return cjs.every((c) => c.status?.active?.length === 1 && c.status.lastScheduleTime) && cjs;
    });
    for (const c of statuses) {
      const js = await jobsOf(c.metadata.name!);
      assert.equal(js.length, 1, `${c.metadata.name}: ${js.map((j) => j.metadata.name).join(',')}`);
      assert.equal(c.status!.active![0]!.uid, js[0]!.metadata.uid);
      assert.equal(Date.parse(c.status!.lastScheduleTime!), Number(/-(\d+)$/.exec(js[0]!.metadata.name!)![1]) * 60_000);
    }
    // Two more scheduled minutes with every first Job still running.
    const until = clock.now() + 2 * 60_000 + 10_000;
    while (clock.now() < until) await new Promise((r) => setTimeout(r, 500));
    for (const n of names) assert.equal((await jobsOf(n)).length, 1, `${n} started a second Job under Forbid`);
    for (const n of names) assert.ok(!(await reasons(n)).includes('UnexpectedJob'), `${n}: UnexpectedJob`);
    for (const n of names) await h.k(['patch', 'cronjob', n, '-p', '{"spec":{"suspend":true}}']);
  });

  test('Replace deletes the running job and starts the next', async () => {
    await h.k(['apply', '-f', '-'], cronJob('replace', '*/1 * * * *', '  concurrencyPolicy: Replace'));
    const first = await eventually('first job', async () => {
      const js = await jobsOf('replace');
      return js.length >= 1 && js[0];
    });
    const second = await eventually('the first replaced by a second', async () => {
      const js = await jobsOf('replace');
      return !js.some((j) => j.metadata.uid === first.metadata.uid) && js.length === 1 && js[0];
    });
    assert.notEqual(second.metadata.name, first.metadata.name);
    const cj = await eventually('active is the new job', async () => {
      const c = await getCj('replace');
      return c.status?.active?.length === 1 && c.status.active[0]!.uid === second.metadata.uid && c;
    });
    assert.ok(cj);
    const rs = await reasons('replace');
    assert.ok(rs.includes('SuccessfulDelete'), rs.join(','));
    await h.k(['patch', 'cronjob', 'replace', '-p', '{"spec":{"suspend":true}}']);
  });

  test('a schedule that never fires gives InvalidSchedule; one out of range is refused with 422', async () => {
    await h.k(['apply', '-f', '-'], cronJob('never', '59 23 31 2 *'));
    await eventually('InvalidSchedule', async () => (await reasons('never')).includes('InvalidSchedule'));
    const msg = await h.k(['get', 'events', '--field-selector', 'involvedObject.name=never,reason=InvalidSchedule', '-o', 'jsonpath={.items[0].message}']);
    assert.equal(msg, 'invalid schedule: 59 23 31 2 * : time difference between two schedules is less than 1 second');
    assert.equal((await jobsOf('never')).length, 0);
    const bad = await h.kRaw(['create', 'cronjob', 'bad', '--image=busybox', '--schedule=61 * * * *']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /CronJob.batch "bad" is invalid: spec.schedule: Invalid value: "61 \* \* \* \*": end of range \(61\) above maximum \(59\): 61/);
    const tz = await h.kRaw(['create', '-f', '-'], cronJob('tz', 'TZ=UTC */1 * * * *'));
    assert.match(tz.stderr, /spec.schedule: Invalid value: "TZ=UTC \*\/1 \* \* \* \*": cannot use TZ or CRON_TZ in schedule, use timeZone field instead/);
    const zone = await h.kRaw(['create', '-f', '-'], cronJob('zone', '*/1 * * * *', '  timeZone: Mars/Olympus'));
    assert.match(zone.stderr, /spec.timeZone: Invalid value: "Mars\/Olympus": unknown time zone Mars\/Olympus/);
  });

  test('after a simulated 3-minute stop, at most one missed run is started', async () => {
    await h.k(['apply', '-f', '-'], cronJob('missed', '*/1 * * * *'));
    const first = await eventually('first job', async () => {
      const js = await jobsOf('missed');
      return js.length === 1 && js[0];
    });
    await eventually('recorded', async () => (await getCj('missed')).status?.lastScheduleTime);
    await cron.stop();
    const lastBefore = Date.parse((await getCj('missed')).status!.lastScheduleTime!);
    // Down for three minutes: three scheduled times pass unseen.
    clock.jump(3 * 60_000);
    assert.equal((await jobsOf('missed')).length, 1);
    const restartAt = clock.now();
    cron = await cronJobControllerWithClock(clock).start(h.ctx);
    const js = await eventually('a job after the restart', async () => {
      const j = await jobsOf('missed');
      return j.length >= 2 && j;
    });
    const scheduled = js.filter((j) => j.metadata.uid !== first.metadata.uid).map((j) => Number(/-(\d+)$/.exec(j.metadata.name!)![1]) * 60_000);
    const missedStarted = scheduled.filter((t) => t > lastBefore && t <= restartAt);
    assert.ok(missedStarted.length <= 1, `missed runs started: ${missedStarted.length}`);
    // The one started is the most recent missed time, not the oldest.
    for (const t of missedStarted) assert.equal(t, Math.floor(restartAt / 60_000) * 60_000);
    assert.ok(restartAt - lastBefore >= 3 * 60_000);
    await h.k(['patch', 'cronjob', 'missed', '-p', '{"spec":{"suspend":true}}']);
  });

  test('history limits keep the newest finished jobs', async () => {
    await h.k(['apply', '-f', '-'], cronJob('hist', '*/1 * * * *', '  concurrencyPolicy: Forbid\n  successfulJobsHistoryLimit: 1\n  failedJobsHistoryLimit: 1', '      backoffLimit: 0'));
    const seen = new Set<string>();
    let failedOne = false;
    await eventually('four jobs run', async () => {
      for (const j of await jobsOf('hist')) {
        if (isFinished(j) || seen.has(j.metadata.name!)) continue;
        seen.add(j.metadata.name!);
        await finishJob(j, failedOne ? 'Succeeded' : 'Failed');
        failedOne = true;
      }
      return seen.size >= 4;
    });
    await eventually('trimmed to one Complete and one Failed', async () => {
      const js = (await jobsOf('hist')).filter(isFinished);
      const complete = js.filter((j) => j.status?.conditions?.some((c) => c.type === 'Complete'));
      const failed = js.filter((j) => j.status?.conditions?.some((c) => c.type === 'Failed'));
      return complete.length === 1 && failed.length <= 1;
    });
    assert.ok((await reasons('hist')).includes('SuccessfulDelete'));
    await h.k(['patch', 'cronjob', 'hist', '-p', '{"spec":{"suspend":true}}']);
  });

  test('kubectl create cronjob, create job --from=cronjob, get cronjobs columns', async () => {
    await h.k(['create', 'cronjob', 'made', '--image=busybox', '--schedule=@hourly', '--', 'true']);
    const cj = await getCj('made');
    assert.equal(cj.spec?.concurrencyPolicy, 'Allow');
    assert.equal(cj.spec?.successfulJobsHistoryLimit, 3);
    assert.equal(cj.spec?.failedJobsHistoryLimit, 1);
    assert.equal(cj.spec?.suspend, false);
    const out = await h.k(['get', 'cronjobs']);
    assert.match(out.split('\n')[0]!, /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/);
    // The controller's clock runs ahead of the wall here, so @hourly may already have fired.
    assert.match(out, /\nmade\s+@hourly\s+<none>\s+False\s+\d+\s+\S+\s+\d+s/);
    await h.k(['create', 'job', 'manual', '--from=cronjob/made']);
    const j = await h.client.get<Job>(JOBS, 'default', 'manual');
    assert.equal(j.metadata.annotations?.['cronjob.kubernetes.io/instantiate'], 'manual');
    assert.equal(j.metadata.ownerReferences?.[0]?.name, 'made');
    // A manual job owned by the CronJob but never scheduled by it is unexpected, as upstream says.
    await eventually('UnexpectedJob', async () => (await reasons('made')).includes('UnexpectedJob'));
  });
});
