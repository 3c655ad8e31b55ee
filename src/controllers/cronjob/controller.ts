import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import type { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import type { EventRecorder } from '../../client/events/recorder.js';
import { isAlreadyExists, isNotFound } from '../../client/status.js';
import { splitMetaNamespaceKey } from '../../client/store.js';
import { nowTimestamp } from '../../api/types.js';
import { controllerOf, newControllerRef, resolveControllerRef } from '../shared/owner-refs.js';
import { CRONJOBS, JOBS } from '../shared/resources.js';
import { KeyWorker, ensureIndex, keyOf } from '../shared/worker.js';
import { workersFor } from '../shared/options.js';
import type { Job } from '../job/types.js';
import { wallClock, type CronClock } from './clock.js';
import type { Schedule } from './schedule.js';

// The schedule parser (croner, 33 KB of source) is loaded by the first CronJob this controller syncs.
let parseSchedule: typeof import('./schedule.js').parseSchedule | undefined;
import { InvalidScheduleError, jobNameFor, mostRecentScheduleTime, nextScheduleDelayMs, rfc3339In } from './times.js';
import type { CronJob, ObjectReference } from './types.js';

// Upstream's cronjob_controllerv2: each CronJob is a work-queue key that is
// re-queued for just after its next scheduled time. A sync first reconciles
// status.active with the Jobs it owns, then starts at most one Job (the most
// recent due time, however many were missed), then trims finished Jobs to the
// history limits. The Job's name holds its scheduled minute, so a restart
// between creating a Job and recording it cannot start that time twice.

const OWNER_INDEX = 'cronjobUID';
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

interface SyncResult {
  requeueMs?: number;
  updateStatus: boolean;
  /** A Job was created in this sync. */
  started?: boolean;
}

/** Our last status for a key: the version it replaced, and whether it still has to be written. */
interface Written {
  replacedVersion: string;
  object: CronJob;
  unsaved?: boolean;
}

export class CronJobController {
  private readonly worker: KeyWorker;
  private readonly client: RestClient;
  private readonly recorder: EventRecorder;
  private readonly cjInformer: Informer<CronJob>;
  private readonly jobInformer: Informer<Job>;
  private readonly schedules = new Map<string, Schedule>();
  /**
   * Our last status per key, with the version it replaced: read-your-writes until
   * the cache catches up, and the statuses whose write was put off (see syncKey).
   */
  private readonly written = new Map<string, Written>();

  constructor(
    ctx: ControllerContext,
    private readonly clock: CronClock = wallClock,
  ) {
    this.client = ctx.client;
    this.recorder = ctx.recorder('cronjob-controller');
    this.cjInformer = ctx.informers.informerFor<CronJob>(CRONJOBS);
    this.jobInformer = ctx.informers.informerFor<Job>(JOBS);
    ensureIndex(this.jobInformer, OWNER_INDEX, (j) => {
      const ref = controllerOf(j);
      return ref?.kind === 'CronJob' ? [ref.uid] : [];
    });
    this.worker = new KeyWorker({ name: 'cronjob-controller', workers: workersFor(ctx, ['cronjob', 'cron-job', 'cronjobs'], 5), sync: (k) => this.syncKey(k) });
  }

  start(): void {
    this.cjInformer.addEventHandler({
      onAdd: (cj) => this.worker.add(keyOf(cj)),
      onUpdate: (o, cj) => {
        if (o.metadata.resourceVersion !== cj.metadata.resourceVersion) this.worker.add(keyOf(cj));
      },
      onDelete: (cj) => this.worker.add(keyOf(cj)),
    });
    const enqueueOwner = (j: Job): void => {
      const cj = resolveControllerRef(controllerOf(j), 'CronJob', (n) => this.cjInformer.store.getByName(j.metadata.namespace, n));
      if (cj) this.worker.add(keyOf(cj));
    };
    this.jobInformer.addEventHandler({
      onAdd: enqueueOwner,
      onUpdate: (o, j) => {
        if (o.metadata.resourceVersion === j.metadata.resourceVersion) return;
        enqueueOwner(j);
        if (controllerOf(o)?.uid !== controllerOf(j)?.uid) enqueueOwner(o);
      },
      onDelete: enqueueOwner,
    });
    this.worker.run([this.cjInformer, this.jobInformer]);
  }

  async stop(): Promise<void> {
    await this.worker.stop();
    // Statuses put off behind other starts: write them now rather than leave
    // the next controller to find Jobs it has no record of.
    for (const [key, w] of this.written) {
      if (!w.unsaved) continue;
      await this.writeStatus(w.object).catch((err: unknown) => this.worker.log.warn({ cronjob: key, err: (err as Error).message }, 'could not write a put-off status'));
    }
  }

  private now(): number {
    return this.clock.now();
  }

  private async syncKey(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    let cached = this.cjInformer.store.getByName(namespace, name);
    if (!cached) {
      this.written.delete(key);
      return;
    }
    // The Job we just created is often seen before our status write is: without
    // this, that sync would take the Job for a stranger and ask the server.
    const mine = this.written.get(key);
    if (mine && cached.metadata.resourceVersion === mine.replacedVersion) cached = mine.object;
    // Someone changed the spec meanwhile: the status is ours alone, keep the one not yet written.
    else if (mine?.unsaved) cached = { ...cached, status: mine.object.status };
    else this.written.delete(key);
    const unsaved = !!mine?.unsaved;
    const cj = structuredClone(cached);
    const jobs = this.jobInformer.store.byIndex(OWNER_INDEX, cj.metadata.uid!).filter((j) => j.metadata.namespace === namespace);
    let result: SyncResult;
    try {
      result = await this.syncCronJob(cj, jobs);
    } catch (err) {
      const e = err as Error & { updateStatus?: boolean; cronJob?: CronJob };
      if (e.updateStatus || unsaved) await this.writeStatus(cj);
      throw err;
    }
    if (await this.cleanupFinishedJobs(cj, jobs)) result.updateStatus = true;
    if (result.started && this.worker.queue.len() > 0) {
      // Other CronJobs are waiting, typically due in the same second: their Job
      // creates go first and this status write joins the back of the queue, so
      // the last start of a burst no longer waits for every status write before
      // it. The key stays this controller's alone (the queue never hands one key
      // to two workers), and the next sync starts from the status kept here.
      this.written.set(key, { replacedVersion: cached.metadata.resourceVersion ?? '', object: cj, unsaved: true });
      this.worker.add(key);
    } else if (result.updateStatus || unsaved) {
      await this.writeStatus(cj);
    }
    if (result.requeueMs !== undefined) this.worker.addAfter(key, Math.max(0, this.clock.realDelayMs(result.requeueMs)));
  }

  private async writeStatus(cj: CronJob): Promise<void> {
    const replacedVersion = cj.metadata.resourceVersion ?? '';
    const updated = await this.client.updateStatus<CronJob>(CRONJOBS, cj.metadata.namespace, cj);
    cj.metadata.resourceVersion = updated.metadata.resourceVersion;
    this.written.set(keyOf(cj), { replacedVersion, object: updated });
  }

  private schedule(cj: CronJob): Schedule {
    const spec = cj.spec ?? {};
    const tz = spec.schedule?.includes('TZ') ? undefined : (spec.timeZone ?? undefined);
    const k = `${tz ?? ''}\u0000${spec.schedule ?? ''}`;
    let s = this.schedules.get(k);
    if (!s) {
      s = parseSchedule!(spec.schedule ?? '', tz);
      if (this.schedules.size > 10_000) this.schedules.clear();
      this.schedules.set(k, s);
    }
    return s;
  }

  /** syncCronJob: reconcile status.active, then start the due Job if one is due. Mutates cj's status. */
  private async syncCronJob(cj: CronJob, jobs: Job[]): Promise<SyncResult> {
    if (!parseSchedule) parseSchedule = (await import('./schedule.js')).parseSchedule;
    const status = (cj.status ??= {});
    let updateStatus = false;
    const children = new Set<string>();
    for (const j of jobs) {
      children.add(j.metadata.uid!);
      const found = inActiveList(cj, j.metadata.uid!);
      const finished = finishedType(j);
      if (!found && !finished) {
        // The cache may be behind our own status write; ask the server before crying wolf.
        const fresh = await this.client.get<CronJob>(CRONJOBS, cj.metadata.namespace, cj.metadata.name!).catch(() => undefined);
        if (fresh && inActiveList(fresh, j.metadata.uid!)) {
          // Take the server's copy, keeping `status` the object this sync edits.
          const { status: freshStatus, ...rest } = fresh;
          Object.assign(cj, rest);
          for (const k of Object.keys(status) as (keyof typeof status)[]) delete status[k];
          Object.assign(status, freshStatus ?? {});
          continue;
        }
        this.recorder.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata.name}`);
      } else if (finished) {
        if (found) {
          deleteFromActiveList(cj, j.metadata.uid!);
          this.recorder.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata.name}, status: ${finished}`);
          updateStatus = true;
        }
        const done = j.status?.completionTime;
        if (finished === 'Complete' && done && (!status.lastSuccessfulTime || Date.parse(done) > Date.parse(status.lastSuccessfulTime))) {
          status.lastSuccessfulTime = done;
          updateStatus = true;
        }
      }
    }
    for (const ref of [...(status.active ?? [])]) {
      if (children.has(ref.uid ?? '')) continue;
      try {
        const j = await this.client.get<Job>(JOBS, ref.namespace ?? cj.metadata.namespace, ref.name ?? '');
        if (j.metadata.uid !== ref.uid) throw Object.assign(new Error('replaced'), { replaced: true });
      } catch (err) {
        if (isNotFound(err) || (err as { replaced?: boolean }).replaced) {
          this.recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
          deleteFromActiveList(cj, ref.uid ?? '');
          updateStatus = true;
        } else {
          throw Object.assign(err as Error, { updateStatus });
        }
      }
    }
    if (cj.metadata.deletionTimestamp) return { updateStatus };

    const spec = cj.spec ?? {};
    const tz = spec.timeZone ?? undefined;
    if (tz !== undefined && !validTimeZone(tz)) {
      this.recorder.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(tz)}: unknown time zone ${tz}`);
      return { updateStatus };
    }
    if (spec.suspend) return { updateStatus };
    if (spec.schedule?.includes('TZ')) {
      this.recorder.event(cj, 'Warning', 'UnsupportedSchedule', `CRON_TZ or TZ used in schedule ${JSON.stringify(spec.schedule)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`);
    }
    let sched: Schedule;
    try {
      sched = this.schedule(cj);
    } catch (err) {
      this.recorder.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(spec.schedule)} : ${(err as Error).message}`);
      return { updateStatus };
    }
    const now = this.now();
    let scheduledMs: number | undefined;
    try {
      const r = mostRecentScheduleTime(cj, now, sched, true);
      if (r.mostRecentMs !== undefined && r.mostRecentMs <= now) {
        scheduledMs = r.mostRecentMs;
        if (r.missed === 'many') {
          this.recorder.event(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
        }
      }
    } catch (err) {
      if (!(err instanceof InvalidScheduleError)) throw err;
      this.recorder.event(cj, 'Warning', 'InvalidSchedule', `invalid schedule: ${spec.schedule} : ${err.message}`);
      return { updateStatus };
    }
    const requeueMs = nextScheduleDelayMs(cj, now, sched);
    if (scheduledMs === undefined) return { requeueMs, updateStatus };

    const sds = spec.startingDeadlineSeconds;
    if (typeof sds === 'number' && scheduledMs + sds * 1000 < now) {
      this.recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduledMs)}`);
      return { requeueMs, updateStatus };
    }
    const jobName = jobNameFor(cj, scheduledMs);
    if ((status.active ?? []).some((r) => r.name === jobName) || (status.lastScheduleTime && Date.parse(status.lastScheduleTime) === scheduledMs)) {
      return { requeueMs, updateStatus };
    }
    if (spec.concurrencyPolicy === 'Forbid' && (status.active ?? []).length > 0) {
      this.recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return { requeueMs, updateStatus };
    }
    if (spec.concurrencyPolicy === 'Replace') {
      for (const ref of [...(status.active ?? [])]) {
        let j: Job;
        try {
          j = await this.client.get<Job>(JOBS, ref.namespace ?? cj.metadata.namespace, ref.name ?? '');
        } catch (err) {
          this.recorder.event(cj, 'Warning', 'FailedGet', `Get job: ${(err as Error).message}`);
          throw Object.assign(err as Error, { updateStatus });
        }
        if (!(await this.deleteJob(cj, j))) throw Object.assign(new Error(`could not replace job ${j.metadata.namespace}/${j.metadata.name}`), { updateStatus });
        updateStatus = true;
      }
    }

    let created: Job;
    let alreadyExisted = false;
    try {
      created = await this.client.create<Job>(JOBS, cj.metadata.namespace, this.jobFor(cj, scheduledMs, jobName));
    } catch (err) {
      if (isAlreadyExists(err)) {
        alreadyExisted = true;
        created = await this.client.get<Job>(JOBS, cj.metadata.namespace, jobName);
        // Someone else's Job by that name: assume it keeps the status itself.
        if (controllerOf(created)?.uid !== cj.metadata.uid) return { updateStatus };
        if (inActiveList(cj, created.metadata.uid!)) return { updateStatus };
      } else {
        const causes = (err as { details?: { causes?: { reason?: string }[] } }).details?.causes ?? [];
        if (!causes.some((c) => c.reason === 'NamespaceTerminating')) this.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${(err as Error).message}`);
        throw Object.assign(err as Error, { updateStatus });
      }
    }
    if (!alreadyExisted) {
      this.worker.log.debug({ cronjob: keyOf(cj), job: jobName, skewMs: Date.parse(created.metadata.creationTimestamp ?? '') - scheduledMs }, 'created job');
      this.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata.name}`);
    }
    status.active = [
      ...(status.active ?? []),
      { kind: 'Job', namespace: created.metadata.namespace, name: created.metadata.name, uid: created.metadata.uid, apiVersion: 'batch/v1', resourceVersion: created.metadata.resourceVersion },
    ];
    status.lastScheduleTime = nowTimestamp(new Date(scheduledMs));
    return { requeueMs: nextScheduleDelayMs(cj, now, sched), updateStatus: true, started: !alreadyExisted };
  }

  private jobFor(cj: CronJob, scheduledMs: number, name: string): Job {
    const t = cj.spec?.jobTemplate ?? {};
    const annotations = { ...(t.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339In(scheduledMs, cj.spec?.timeZone ?? undefined) };
    const labels = { ...(t.metadata?.labels ?? {}) };
    return {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: cj.metadata.namespace, labels, annotations, ownerReferences: [newControllerRef(cj, 'batch/v1', 'CronJob')] },
      spec: structuredClone(t.spec ?? {}),
    };
  }

  /** Deletes a Job (its pods follow in the background) and drops it from status.active. */
  private async deleteJob(cj: CronJob, j: Job): Promise<boolean> {
    try {
      await this.client.delete(JOBS, j.metadata.namespace, j.metadata.name!, { propagationPolicy: 'Background' });
    } catch (err) {
      if (!isNotFound(err)) {
        this.recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${(err as Error).message}`);
        return false;
      }
    }
    deleteFromActiveList(cj, j.metadata.uid!);
    this.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
    return true;
  }

  /** Trims finished Jobs to the history limits, oldest first; true when status.active changed. */
  private async cleanupFinishedJobs(cj: CronJob, jobs: Job[]): Promise<boolean> {
    const spec = cj.spec ?? {};
    const limits = { Complete: spec.successfulJobsHistoryLimit, Failed: spec.failedJobsHistoryLimit };
    const victims: Job[] = [];
    for (const type of ['Complete', 'Failed'] as const) {
      const limit = limits[type];
      if (typeof limit !== 'number') continue;
      const list = jobs.filter((j) => finishedType(j) === type);
      if (list.length > limit) victims.push(...list.sort(byStartTime).slice(0, list.length - limit));
    }
    let changed = false;
    for (const j of victims) if (await this.deleteJob(cj, j)) changed = true;
    return changed;
  }
}

function byStartTime(a: Job, b: Job): number {
  const sa = a.status?.startTime;
  const sb = b.status?.startTime;
  if (!sa && sb) return 1;
  if (sa && !sb) return -1;
  if (sa && sb && sa !== sb) return Date.parse(sa) - Date.parse(sb);
  return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

function finishedType(j: Job): 'Complete' | 'Failed' | undefined {
  const c = j.status?.conditions?.find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  return c?.type as 'Complete' | 'Failed' | undefined;
}

function inActiveList(cj: CronJob, uid: string): boolean {
  return (cj.status?.active ?? []).some((r: ObjectReference) => r.uid === uid);
}

function deleteFromActiveList(cj: CronJob, uid: string): void {
  if (!cj.status?.active) return;
  cj.status.active = cj.status.active.filter((r) => r.uid !== uid);
}

function validTimeZone(tz: string): boolean {
  if (!tz || tz === 'Local') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Go's time.RFC1123Z in UTC: "Mon, 02 Jan 2006 15:04:05 +0000". */
function rfc1123z(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000');
}

/** The controller with a chosen clock (tests and benchmarks run minutes in seconds). */
export function cronJobControllerWithClock(clock: CronClock): ControllerDescriptor {
  return {
    name: 'cronjob',
    async start(ctx: ControllerContext): Promise<RunningController> {
      const c = new CronJobController(ctx, clock);
      c.start();
      return { stop: () => c.stop() };
    },
  };
}

export const cronJobController: ControllerDescriptor = cronJobControllerWithClock(wallClock);
