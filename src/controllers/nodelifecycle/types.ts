import type { KubeObject } from '../../api/types.js';

// The parts of Node, Lease and Pod the node lifecycle and taint eviction
// controllers read and write.

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface NodeCondition {
  type: string;
  status: ConditionStatus;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' | string;
  timeAdded?: string;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal' | string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export interface Node extends KubeObject {
  spec?: { unschedulable?: boolean; taints?: Taint[]; [k: string]: unknown };
  status?: { conditions?: NodeCondition[]; [k: string]: unknown };
}

export interface Lease extends KubeObject {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string; acquireTime?: string };
}

export interface PodCondition {
  type: string;
  status: ConditionStatus;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface Pod extends KubeObject {
  spec?: { nodeName?: string; tolerations?: Toleration[]; [k: string]: unknown };
  status?: { phase?: string; conditions?: PodCondition[]; [k: string]: unknown };
}

export function getCondition<C extends { type: string }>(conds: C[] | undefined, type: string): C | undefined {
  return conds?.find((c) => c.type === type);
}
