import type { QueuedPodInfo } from './framework/interface.js';
import type { Pod, PodCondition } from './framework/types.js';
import { fitErrorMessage, diagnosisAnnotation, DIAGNOSIS_ANNOTATION } from './framework/fit-error.js';
import type { FitFailure } from './schedule-one.js';
import type { SchedulingQueue } from './queue/scheduling-queue.js';
import type { RestSchedulerApi } from './api.js';
import type { SchedulerStats } from './scheduler.js';
import { nowTimestamp } from '../api/types.js';
import { logger } from '../util/log.js';

// What users see when a pod cannot be placed, as upstream's
// handleSchedulingFailure: a FailedScheduling warning event, the
// PodScheduled=False condition with the same message (so `kubectl describe
// pod` explains it), nominatedNodeName after preemption, and k8ts's
// per-node breakdown in an annotation.

const log = logger('scheduler');
const MAX_MESSAGE = 1024;

function truncate(msg: string): string {
  return msg.length <= MAX_MESSAGE ? msg : msg.slice(0, MAX_MESSAGE - 3) + '...';
}

export class FailureHandler {
  constructor(
    private readonly api: RestSchedulerApi,
    private readonly queue: SchedulingQueue,
    private readonly stats: SchedulerStats,
  ) {}

  handleFit(q: QueuedPodInfo, r: FitFailure, postFilterMsg: string, nominated: string | undefined, podCycle: number): void {
    const message = fitErrorMessage(r.numAllNodes, r.statuses, r.preFilterMsg, postFilterMsg);
    if (nominated !== undefined) {
      if (nominated) this.queue.nominator.add(q.info, nominated);
      else this.queue.nominator.delete(q.info.key);
    }
    this.handle(q, message, podCycle, { reason: 'Unschedulable', nominated });
    const diag = diagnosisAnnotation(r.statuses, r.numAllNodes);
    const pod = q.info.pod;
    if (pod.metadata.annotations?.[DIAGNOSIS_ANNOTATION] !== diag) {
      this.api.patchPodAnnotations(pod, { [DIAGNOSIS_ANNOTATION]: diag }).catch((err: Error) => log.debug({ err: err.message, pod: q.info.key }, 'could not record diagnosis'));
    }
  }

  handle(q: QueuedPodInfo, message: string, podCycle: number, o: { reason: string; nominated?: string }): void {
    this.stats.failed++;
    this.queue.addUnschedulable(q, podCycle);
    const pod = q.info.pod;
    this.api.event(pod, 'Warning', 'FailedScheduling', truncate(message));
    this.updateStatus(pod, o.reason, message, o.nominated);
  }

  private updateStatus(pod: Pod, reason: string, message: string, nominated: string | undefined): void {
    const old = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const sameCondition = old && old.status === 'False' && old.reason === reason && old.message === message;
    const currentNominated = pod.status?.nominatedNodeName ?? '';
    const nominatedChanges = nominated !== undefined && nominated !== currentNominated;
    if (sameCondition && !nominatedChanges) return;
    const cond: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      reason,
      message,
      lastProbeTime: null,
      lastTransitionTime: old && old.status === 'False' && old.lastTransitionTime ? old.lastTransitionTime : nowTimestamp(),
    };
    const status: Record<string, unknown> = { conditions: [cond] };
    if (nominatedChanges) status.nominatedNodeName = nominated || null;
    this.api.patchPodStatus(pod, status).catch((err: Error) => log.debug({ err: err.message, pod: `${pod.metadata.namespace}/${pod.metadata.name}` }, 'could not update pod condition'));
  }

  clearDiagnosis(pod: Pod): void {
    if (pod.metadata.annotations?.[DIAGNOSIS_ANNOTATION] === undefined) return;
    this.api.patchPodAnnotations(pod, { [DIAGNOSIS_ANNOTATION]: null }).catch(() => undefined);
  }
}
