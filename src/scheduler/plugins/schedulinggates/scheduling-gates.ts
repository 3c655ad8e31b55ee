import type { PreEnqueuePlugin } from '../../framework/interface.js';
import type { Pod } from '../../framework/types.js';
import { Code, Status, SUCCESS } from '../../framework/status.js';
import { POD_UPDATE, type ClusterEvent } from '../../queue/events.js';

// Pods with schedulingGates wait outside the active queue until the gates are removed.

export const NAME = 'SchedulingGates';

export class SchedulingGates implements PreEnqueuePlugin {
  readonly name = NAME;

  preEnqueue(pod: Pod): Status {
    const gates = pod.spec.schedulingGates ?? [];
    if (gates.length === 0) return SUCCESS;
    return new Status(Code.UnschedulableAndUnresolvable, [`waiting for scheduling gates: [${gates.map((g) => g.name).join(' ')}]`]);
  }

  events(): ClusterEvent[] {
    return [POD_UPDATE];
  }
}
