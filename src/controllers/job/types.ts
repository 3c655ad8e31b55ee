import type { KubeObject } from '../../api/types.js';
import type { Condition, LabelSelectorSpec, PodTemplateSpec } from '../shared/types.js';
import type { JobSpecView } from './policy.js';

export interface JobStatus {
  conditions?: Condition[];
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  ready?: number;
  completedIndexes?: string;
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
}

export interface Job extends KubeObject {
  spec?: JobSpecView & { selector?: LabelSelectorSpec; template?: PodTemplateSpec; ttlSecondsAfterFinished?: number };
  status?: JobStatus;
}
