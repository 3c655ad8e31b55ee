import type { FilterPlugin } from '../../framework/interface.js';
import type { CycleState } from '../../framework/cycle-state.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { Status, SUCCESS } from '../../framework/status.js';
import { toleratedBy } from '../../util/tolerations.js';
import { NODE_ADD, NODE_UPDATE, type ClusterEvent } from '../../queue/events.js';

// A cordoned node (spec.unschedulable) takes only pods that tolerate the
// node.kubernetes.io/unschedulable:NoSchedule taint.

export const NAME = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const ERR_REASON_UNKNOWN_CONDITION = 'node(s) had unknown conditions';
const UNSCHEDULABLE_TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' as const };

export class NodeUnschedulable implements FilterPlugin {
  readonly name = NAME;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (!node.node) return Status.unresolvable(ERR_REASON_UNKNOWN_CONDITION);
    if (!node.unschedulable) return SUCCESS;
    if (toleratedBy(pod.pod.spec.tolerations, UNSCHEDULABLE_TAINT)) return SUCCESS;
    return Status.unresolvable(ERR_REASON_UNSCHEDULABLE);
  }

  events(): ClusterEvent[] {
    return [NODE_ADD, NODE_UPDATE];
  }
}
