import type { FilterPlugin } from '../../framework/interface.js';
import type { CycleState } from '../../framework/cycle-state.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { Status, SUCCESS } from '../../framework/status.js';
import { NODE_ADD, type ClusterEvent } from '../../queue/events.js';

// A pod that names its node (spec.nodeName set but not yet bound, e.g. by a
// PreFilter-less path) may only go there.

export const NAME = 'NodeName';
export const ERR_REASON = "node(s) didn't match the requested node name";

export class NodeName implements FilterPlugin {
  readonly name = NAME;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const want = pod.pod.spec.nodeName;
    if (!want || want === node.name) return SUCCESS;
    return Status.unresolvable(ERR_REASON);
  }

  events(): ClusterEvent[] {
    return [NODE_ADD];
  }
}
