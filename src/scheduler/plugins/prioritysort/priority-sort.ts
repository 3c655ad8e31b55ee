import type { QueueSortPlugin, QueuedPodInfo } from '../../framework/interface.js';

// Higher priority first; among equals, the pod that has waited longer.

export const NAME = 'PrioritySort';

export class PrioritySort implements QueueSortPlugin {
  readonly name = NAME;

  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    const pa = a.info.priority;
    const pb = b.info.priority;
    return pa > pb || (pa === pb && a.timestamp < b.timestamp);
  }
}
