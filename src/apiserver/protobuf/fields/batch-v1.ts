// io.k8s.api.batch.v1: protobuf field number → JSON property, from the Go structs' protobuf tags.
// See ./table.ts for the notation (a trailing "!" keeps a zero value; "..." inlines a struct).

import type { PackageFields } from './table.js';

export const BATCH_V1: PackageFields = {
  package: 'io.k8s.api.batch.v1',
  types: {
    CronJob: { 1: 'metadata', 2: 'spec', 3: 'status' },
    CronJobList: { 1: 'metadata', 2: 'items' },
    CronJobSpec: {
      1: 'schedule!', 8: 'timeZone!', 2: 'startingDeadlineSeconds!', 3: 'concurrencyPolicy', 4: 'suspend!',
      5: 'jobTemplate', 6: 'successfulJobsHistoryLimit!', 7: 'failedJobsHistoryLimit!',
    },
    CronJobStatus: { 1: 'active', 4: 'lastScheduleTime', 5: 'lastSuccessfulTime' },
    Job: { 1: 'metadata', 2: 'spec', 3: 'status' },
    JobCondition: { 1: 'type!', 2: 'status!', 3: 'lastProbeTime', 4: 'lastTransitionTime', 5: 'reason', 6: 'message' },
    JobList: { 1: 'metadata', 2: 'items' },
    JobSpec: {
      1: 'parallelism!', 2: 'completions!', 3: 'activeDeadlineSeconds!', 11: 'podFailurePolicy', 16: 'successPolicy',
      7: 'backoffLimit!', 12: 'backoffLimitPerIndex!', 13: 'maxFailedIndexes!', 4: 'selector', 5: 'manualSelector!',
      6: 'template', 8: 'ttlSecondsAfterFinished!', 9: 'completionMode!', 10: 'suspend!', 14: 'podReplacementPolicy!',
      15: 'managedBy!',
    },
    JobStatus: {
      1: 'conditions', 2: 'startTime', 3: 'completionTime', 4: 'active', 5: 'succeeded', 6: 'failed', 11: 'terminating!',
      7: 'completedIndexes', 10: 'failedIndexes!', 8: 'uncountedTerminatedPods', 9: 'ready!',
    },
    JobTemplateSpec: { 1: 'metadata', 2: 'spec' },
    PodFailurePolicy: { 1: 'rules' },
    PodFailurePolicyOnExitCodesRequirement: { 1: 'containerName!', 2: 'operator!', 3: 'values' },
    PodFailurePolicyOnPodConditionsPattern: { 1: 'type!', 2: 'status!' },
    PodFailurePolicyRule: { 1: 'action!', 2: 'onExitCodes', 3: 'onPodConditions' },
    SuccessPolicy: { 1: 'rules' },
    SuccessPolicyRule: { 1: 'succeededIndexes!', 2: 'succeededCount!' },
    UncountedTerminatedPods: { 1: 'succeeded', 2: 'failed' },
  },
};
