import type { RestClient } from '../client/rest.js';
import type { EventRecorder } from '../client/events/recorder.js';
import type { ResourceRef } from '../client/paths.js';
import type { SchedulerApi } from './framework/interface.js';
import type { Pod } from './framework/types.js';

// The few API calls the scheduler makes, over the shared client library.

export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };
export const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
export const PODDISRUPTIONBUDGETS: ResourceRef = { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', namespaced: true };
export const NAMESPACES: ResourceRef = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };

export class RestSchedulerApi implements SchedulerApi {
  constructor(
    private readonly client: RestClient,
    private readonly recorder: EventRecorder,
  ) {}

  async bind(pod: Pod, nodeName: string): Promise<void> {
    const { name, namespace, uid } = pod.metadata;
    await this.client.createSubresource(PODS, namespace, name!, 'binding', {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name, namespace, uid },
      target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
    });
  }

  async deletePod(pod: Pod): Promise<void> {
    await this.client.delete(PODS, pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
  }

  async patchPodStatus(pod: Pod, status: Record<string, unknown>): Promise<void> {
    await this.client.patch(PODS, pod.metadata.namespace, pod.metadata.name!, 'strategic', { status }, { subresource: 'status' });
  }

  async patchPodAnnotations(pod: Pod, annotations: Record<string, string | null>): Promise<void> {
    await this.client.patch(PODS, pod.metadata.namespace, pod.metadata.name!, 'merge', { metadata: { annotations } });
  }

  event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.recorder.event(pod, type, reason, message);
  }
}
