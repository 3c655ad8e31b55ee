import type { FilterPlugin, PreFilterPlugin } from '../../framework/interface.js';
import type { CycleState } from '../../framework/cycle-state.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { HostPort, PodInfo } from '../../framework/pod-info.js';
import { Status, SUCCESS, SKIP } from '../../framework/status.js';
import { ASSIGNED_POD_DELETE, NODE_ADD, type ClusterEvent } from '../../queue/events.js';

// Host ports: two pods conflict on a node when protocol and port match and
// their IPs overlap (0.0.0.0 overlaps every IP).

export const NAME = 'NodePorts';
export const ERR_REASON = "node(s) didn't have free ports for the requested pod ports";

export function portsConflict(used: readonly HostPort[], wanted: readonly HostPort[]): boolean {
  for (const w of wanted) {
    for (const u of used) {
      if (u.port !== w.port || u.protocol !== w.protocol) continue;
      if (u.ip === w.ip || u.ip === '0.0.0.0' || w.ip === '0.0.0.0') return true;
    }
  }
  return false;
}

export class NodePorts implements PreFilterPlugin, FilterPlugin {
  readonly name = NAME;

  preFilter(_state: CycleState, pod: PodInfo): { status: Status } {
    return { status: pod.hostPorts.length === 0 ? SKIP : SUCCESS };
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (pod.hostPorts.length === 0 || node.usedPorts.length === 0) return SUCCESS;
    return portsConflict(node.usedPorts, pod.hostPorts) ? Status.unschedulable(ERR_REASON) : SUCCESS;
  }

  events(): ClusterEvent[] {
    return [ASSIGNED_POD_DELETE, NODE_ADD];
  }
}
