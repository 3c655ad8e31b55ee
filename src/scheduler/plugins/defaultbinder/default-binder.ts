import type { BindPlugin, Handle } from '../../framework/interface.js';
import type { CycleState } from '../../framework/cycle-state.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { Status, SUCCESS } from '../../framework/status.js';

// Binds through the pods/binding subresource, which sets spec.nodeName and PodScheduled=True in one write.

export const NAME = 'DefaultBinder';

export class DefaultBinder implements BindPlugin {
  readonly name = NAME;

  constructor(private readonly handle: Handle) {}

  async bind(_state: CycleState, pod: PodInfo, nodeName: string): Promise<Status> {
    try {
      await this.handle.api.bind(pod.pod, nodeName);
      return SUCCESS;
    } catch (err) {
      return Status.error(err as Error);
    }
  }
}
