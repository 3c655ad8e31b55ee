import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import type { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import type { EventRecorder } from '../../client/events/recorder.js';
import { isNotFound } from '../../client/status.js';
import { splitMetaNamespaceKey } from '../../client/store.js';
import { nowTimestamp } from '../../api/types.js';
import { Expectations } from '../shared/expectations.js';
import { PodControl, podFromTemplate, slowStartBatch } from '../shared/pod-control.js';
import { claimObjects, ownedAndOrphans } from '../shared/claim.js';
import { controllerOf, newControllerRef, resolveControllerRef } from '../shared/owner-refs.js';
import { isPodReady, podKey } from '../shared/pod-utils.js';
import { podsToDelete } from '../shared/pod-ranking.js';
import { JOBS, PODS } from '../shared/resources.js';
import { selectorFor, selects } from '../shared/selectors.js';
import { KeyWorker, ensureIndex, keyOf } from '../shared/worker.js';
import { workersFor } from '../shared/options.js';
import type { Condition, Pod } from '../shared/types.js';
import { COMPLETION_INDEX, JOB_TRACKING_FINALIZER, backoffRemainingMs, completionIndexOf, isPodFailed, isPodSucceeded, wantActive } from './policy.js';
import { firstPendingIndexes, formatIndexes, parseIndexes } from './indexes.js';
import type { Job, JobStatus } from './types.js';

// The Job controller: runs pods until `completions` succeed or failures
// pass `backoffLimit`. Pods carry the job-tracking finalizer so that none is
// forgotten: a finished pod is first recorded in uncountedTerminatedPods,
// then its finalizer is removed, then it moves into succeeded/failed. Terminal
// conditions wait for the last pod to go, behind the interim
// SuccessCriteriaMet / FailureTarget conditions, as upstream 1.32 does.

const UID_INDEX = 'controllerUID';
const MAX_PER_SYNC = 500;

interface Backoff {
  failures: number;
  lastFailureMs: number;
}

export class JobController {
  private readonly worker: KeyWorker;
  private readonly client: RestClient;
  private readonly recorder: EventRecorder;
  private readonly podControl: PodControl;
  private readonly expectations = new Expectations();
  private readonly backoff = new Map<string, Backoff>();
  private readonly jobInformer: Informer<Job>;
  private readonly podInformer: Informer<Pod>;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.recorder = ctx.recorder('job-controller');
    this.podControl = new PodControl(this.client, this.recorder);
    this.jobInformer = ctx.informers.informerFor<Job>(JOBS);
    this.podInformer = ctx.informers.informerFor<Pod>(PODS);
    ensureIndex(this.podInformer, UID_INDEX, (p) => [controllerOf(p)?.uid ?? '']);
    this.worker = new KeyWorker({ name: 'job-controller', workers: workersFor(ctx, ['job', 'jobs'], 5), sync: (k) => this.sync(k) });
  }

  start(): void {
    this.jobInformer.addEventHandler({
      onAdd: (j) => this.worker.add(keyOf(j)),
      onUpdate: (_o, j) => this.worker.add(keyOf(j)),
      onDelete: (j) => {
        this.expectations.delete(keyOf(j));
        this.backoff.delete(keyOf(j));
        this.worker.add(keyOf(j));
      },
    });
    this.podInformer.addEventHandler({
      onAdd: (p) => {
        const j = this.ownerOf(p);
        if (!j) return;
        if (!p.metadata.deletionTimestamp) this.expectations.creationObserved(keyOf(j));
        this.worker.add(keyOf(j));
      },
      onUpdate: (o, p) => {
        if (o.metadata.resourceVersion === p.metadata.resourceVersion) return;
        const j = this.ownerOf(p) ?? this.ownerOf(o);
        if (j) this.worker.add(keyOf(j));
      },
      onDelete: (p) => {
        const j = this.ownerOf(p);
        if (!j) return;
        this.expectations.deletionObserved(keyOf(j), podKey(p));
        this.worker.add(keyOf(j));
      },
    });
    this.worker.run([this.jobInformer, this.podInformer]);
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  private ownerOf(p: Pod): Job | undefined {
    return resolveControllerRef(controllerOf(p), 'Job', (n) => this.jobInformer.store.getByName(p.metadata.namespace, n));
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const cached = this.jobInformer.store.getByName(namespace, name);
    if (!cached) {
      this.expectations.delete(key);
      this.backoff.delete(key);
      return;
    }
    const job = structuredClone(cached);
    const spec = job.spec ?? {};
    const { owned, orphans } = ownedAndOrphans(this.podInformer.store, UID_INDEX, job.metadata.uid!, namespace);
    if (isFinished(job)) {
      // Whatever still holds our finalizer must be let go.
      await this.removeFinalizers(owned.filter(hasFinalizer));
      return;
    }
    const selector = selectorFor(spec.selector);
    const pods = (await claimObjects([...owned, ...orphans], {
      client: this.client,
      resource: PODS,
      owner: job,
      ownerApiVersion: 'batch/v1',
      ownerKind: 'Job',
      ownerResource: JOBS,
      match: (p) => selects(selector, p.metadata.labels),
    })) as Pod[];
    const expectationsOk = this.expectations.satisfied(key);
    const now = Date.now();
    const status: JobStatus = structuredClone(job.status ?? {});
    if (!status.startTime && !spec.suspend) {
      status.startTime = nowTimestamp(new Date(now));
    }
    const indexed = spec.completionMode === 'Indexed';
    const completions = spec.completions ?? undefined;

    // 1. Record newly finished pods as uncounted, before their finalizers go.
    const uncounted = { succeeded: [...(status.uncountedTerminatedPods?.succeeded ?? [])], failed: [...(status.uncountedTerminatedPods?.failed ?? [])] };
    const known = new Set([...uncounted.succeeded, ...uncounted.failed]);
    const finished = pods.filter((p) => hasFinalizer(p) && (isPodSucceeded(p) || isPodFailed(p, spec)));
    let newlyFinished = false;
    for (const p of finished) {
      if (known.has(p.metadata.uid!)) continue;
      (isPodSucceeded(p) ? uncounted.succeeded : uncounted.failed).push(p.metadata.uid!);
      newlyFinished = true;
    }
    status.uncountedTerminatedPods = compactUncounted(uncounted);
    if (newlyFinished) await this.writeStatus(job, status);
    // 2. Let the finished pods go.
    const released = await this.removeFinalizers(finished);
    // 3. Move released (or vanished) pods into the counters.
    const stillHeld = new Set(pods.filter((p) => hasFinalizer(p) && !released.has(p.metadata.uid!)).map((p) => p.metadata.uid!));
    const completed = parseIndexes(status.completedIndexes, completions ?? 0);
    const podsByUid = new Map(pods.map((p) => [p.metadata.uid!, p]));
    const bo = this.backoff.get(key) ?? { failures: 0, lastFailureMs: 0 };
    for (const kind of ['succeeded', 'failed'] as const) {
      uncounted[kind] = uncounted[kind].filter((uid) => {
        if (stillHeld.has(uid)) return true;
        if (kind === 'succeeded') {
          const idx = podsByUid.get(uid) && completionIndexOf(podsByUid.get(uid)!);
          if (indexed && idx !== undefined && idx !== null) completed.add(idx);
          status.succeeded = (status.succeeded ?? 0) + 1;
          bo.failures = 0;
        } else {
          status.failed = (status.failed ?? 0) + 1;
          bo.failures++;
          bo.lastFailureMs = now;
        }
        return false;
      });
    }
    this.backoff.set(key, bo);
    status.uncountedTerminatedPods = compactUncounted(uncounted);
    if (indexed) {
      status.completedIndexes = formatIndexes(completed);
      if (!status.completedIndexes) delete status.completedIndexes;
    }

    // 4. Decide: failed, complete, or run pods.
    let active = pods.filter((p) => !p.metadata.deletionTimestamp && !isPodSucceeded(p) && !isPodFailed(p, spec));
    const terminating = pods.filter((p) => p.metadata.deletionTimestamp && !isPodSucceeded(p) && p.status?.phase !== 'Failed');
    const succeeded = indexed ? completed.size : (status.succeeded ?? 0);
    const failed = status.failed ?? 0;
    let interim = status.conditions?.find((c) => (c.type === 'FailureTarget' || c.type === 'SuccessCriteriaMet') && c.status === 'True');
    let manageError: unknown;
    if (!interim) {
      const limit = spec.backoffLimit ?? 6;
      if (failed > limit) {
        interim = condition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now);
      } else if (spec.activeDeadlineSeconds !== undefined && status.startTime && !spec.suspend) {
        const left = Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000 - now;
        if (left <= 0) interim = condition('FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline', now);
        else this.worker.addAfter(key, left + 500);
      }
    }
    if (interim?.type === 'FailureTarget') {
      await this.deletePods(job, active);
      active = [];
    } else if (!interim) {
      if (expectationsOk && !job.metadata.deletionTimestamp) {
        try {
          active = await this.manageJob(key, job, active, succeeded, completed, bo, now);
        } catch (err) {
          manageError = err;
        }
      }
      const done = completions === undefined ? succeeded > 0 && active.length === 0 : succeeded >= completions && active.length === 0;
      if (done) interim = condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
    }
    if (interim && !status.conditions?.some((c) => c.type === interim!.type)) status.conditions = [...(status.conditions ?? []), interim];
    // Terminal only once no pod can still change the outcome.
    if (interim && terminating.length === 0 && active.length === 0 && stillHeld.size === 0 && uncounted.succeeded.length + uncounted.failed.length === 0) {
      const failedJob = interim.type === 'FailureTarget';
      status.conditions = [...(status.conditions ?? []), condition(failedJob ? 'Failed' : 'Complete', interim.reason!, interim.message!, now)];
      if (failedJob) this.recorder.event(job, 'Warning', interim.reason!, interim.message!);
      else {
        status.completionTime = nowTimestamp(new Date(now));
        this.recorder.event(job, 'Normal', 'Completed', 'Job completed');
      }
    }
    status.active = active.length;
    status.ready = active.filter(isPodReady).length;
    status.terminating = terminating.length;
    for (const k of ['active', 'succeeded', 'failed'] as const) if (!status[k]) delete status[k];
    if (JSON.stringify(status) !== JSON.stringify(job.status ?? {})) await this.writeStatus(job, status);
    if (manageError) throw manageError;
  }

  /** Creates or deletes pods toward the wanted number of active ones; returns the active pods as they will be. */
  private async manageJob(key: string, job: Job, active: Pod[], succeeded: number, completed: Set<number>, bo: Backoff, now: number): Promise<Pod[]> {
    const spec = job.spec ?? {};
    if (spec.suspend) {
      await this.deletePods(job, active);
      return [];
    }
    const want = wantActive(spec, active.length, succeeded);
    if (active.length > want) {
      const victims = podsToDelete(active, [], Math.min(active.length - want, MAX_PER_SYNC), now);
      await this.deletePods(job, victims);
      const gone = new Set(victims);
      return active.filter((p) => !gone.has(p));
    }
    if (active.length === want) return active;
    const wait = backoffRemainingMs(bo.failures, bo.lastFailureMs, now);
    if (wait > 0) {
      this.worker.addAfter(key, wait + 100);
      return active;
    }
    const ref = newControllerRef(job, 'batch/v1', 'Job');
    let toCreate: (number | undefined)[];
    if (spec.completionMode === 'Indexed') {
      const running = new Set(active.map(completionIndexOf).filter((i): i is number => i !== undefined));
      toCreate = firstPendingIndexes(completed, running, spec.completions ?? 0, Math.min(want - active.length, MAX_PER_SYNC));
    } else {
      toCreate = Array.from({ length: Math.min(want - active.length, MAX_PER_SYNC) }, () => undefined);
    }
    if (toCreate.length === 0) return active;
    this.expectations.expectCreations(key, toCreate.length);
    const queue = [...toCreate];
    const { successes, error } = await slowStartBatch(toCreate.length, 1, () => this.podControl.createPod(job, this.podFor(job, ref, queue.shift())));
    if (toCreate.length - successes > 0) this.expectations.lower(key, toCreate.length - successes, 0);
    if (error) throw error;
    // New pods are active too, as far as this sync's status goes; the cache will show them shortly.
    return [...active, ...Array.from({ length: successes }, () => ({ metadata: {} }) as Pod)];
  }

  private podFor(job: Job, ref: ReturnType<typeof newControllerRef>, index: number | undefined): Pod {
    const extra = index === undefined ? {} : { labels: { [COMPLETION_INDEX]: String(index) }, annotations: { [COMPLETION_INDEX]: String(index) } };
    const pod = podFromTemplate(job.spec?.template ?? {}, job, ref, extra);
    pod.metadata.finalizers = [...(pod.metadata.finalizers ?? []), JOB_TRACKING_FINALIZER];
    if (index !== undefined) {
      pod.metadata.generateName = `${job.metadata.name}-${index}-`;
      pod.spec!.hostname ??= `${job.metadata.name}-${index}`;
      for (const c of (pod.spec!.containers ?? []) as { env?: unknown[] }[]) {
        c.env = [...(c.env ?? []), { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.labels['${COMPLETION_INDEX}']` } } }];
      }
    }
    return pod;
  }

  private async deletePods(job: Job, pods: Pod[]): Promise<void> {
    const results = await Promise.allSettled(pods.map((p) => this.podControl.deletePod(job, p.metadata.namespace!, p.metadata.name!)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !isNotFound(r.reason));
    if (failed) throw failed.reason as Error;
  }

  /** Removes the tracking finalizer; returns the uids now free of it (or gone). */
  private async removeFinalizers(pods: Pod[]): Promise<Set<string>> {
    const done = new Set<string>();
    await Promise.all(
      pods.map(async (p) => {
        const i = p.metadata.finalizers?.indexOf(JOB_TRACKING_FINALIZER) ?? -1;
        if (i < 0) {
          done.add(p.metadata.uid!);
          return;
        }
        const patch = [
          { op: 'test', path: `/metadata/finalizers/${i}`, value: JOB_TRACKING_FINALIZER },
          { op: 'remove', path: `/metadata/finalizers/${i}` },
        ];
        try {
          await this.client.patch(PODS, p.metadata.namespace, p.metadata.name!, 'json', patch);
          done.add(p.metadata.uid!);
        } catch (err) {
          if (isNotFound(err)) done.add(p.metadata.uid!);
          else throw err;
        }
      }),
    );
    return done;
  }

  private async writeStatus(job: Job, status: JobStatus): Promise<void> {
    const updated = await this.client.updateStatus<Job>(JOBS, job.metadata.namespace, { ...job, status });
    job.metadata.resourceVersion = updated.metadata.resourceVersion;
    job.status = structuredClone(status);
  }
}

function hasFinalizer(p: Pod): boolean {
  return p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;
}

function isFinished(job: Job): boolean {
  return job.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') ?? false;
}

function condition(type: string, reason: string, message: string, now: number): Condition {
  const t = nowTimestamp(new Date(now));
  return { type, status: 'True', lastProbeTime: t, lastTransitionTime: t, reason, message };
}

function compactUncounted(u: { succeeded: string[]; failed: string[] }): JobStatus['uncountedTerminatedPods'] {
  const out: NonNullable<JobStatus['uncountedTerminatedPods']> = {};
  if (u.succeeded.length) out.succeeded = u.succeeded;
  if (u.failed.length) out.failed = u.failed;
  return out;
}

export const jobController: ControllerDescriptor = {
  name: 'job',
  async start(ctx: ControllerContext): Promise<RunningController> {
    const c = new JobController(ctx);
    c.start();
    return { stop: () => c.stop() };
  },
};
