import type { KubeObject } from '../../api/types.js';
import type { LabelSelectorSpec, PodTemplateSpec } from '../shared/types.js';

export interface DaemonSet extends KubeObject {
  spec?: {
    selector?: LabelSelectorSpec;
    template?: PodTemplateSpec;
    updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string } };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
  };
  status?: {
    currentNumberScheduled?: number;
    numberMisscheduled?: number;
    desiredNumberScheduled?: number;
    numberReady?: number;
    observedGeneration?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    numberUnavailable?: number;
    collisionCount?: number;
    conditions?: unknown[];
  };
}

export type { ControllerRevision } from '../shared/history.js';
