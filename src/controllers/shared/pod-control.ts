import type { KubeObject, OwnerReference } from '../../api/types.js';
import type { RestClient } from '../../client/rest.js';
import type { EventRecorder } from '../../client/events/recorder.js';
import { isNotFound } from '../../client/status.js';
import { PODS } from './resources.js';
import type { Pod, PodTemplateSpec } from './types.js';

// Creating and deleting a controller's pods, with the events upstream's
// RealPodControl records on the owner (SuccessfulCreate, FailedCreate,
// SuccessfulDelete, FailedDelete).

const POD_NAME_PREFIX_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*-?$/;

/** generateName for an owner's pods: "<owner>-", or the bare name if that would be invalid. */
export function podNamePrefix(ownerName: string): string {
  const prefix = `${ownerName}-`;
  return POD_NAME_PREFIX_RE.test(prefix) && prefix.length <= 253 ? prefix : ownerName;
}

/** The pod an owner's template describes, before the API server names it. */
export function podFromTemplate(template: PodTemplateSpec, owner: KubeObject, controllerRef: OwnerReference, extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): Pod {
  const meta = template.metadata ?? {};
  const labels = { ...(meta.labels ?? {}), ...(extra.labels ?? {}) };
  const annotations = { ...(meta.annotations ?? {}), ...(extra.annotations ?? {}) };
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: podNamePrefix(owner.metadata.name!),
      namespace: owner.metadata.namespace,
      labels,
      ownerReferences: [controllerRef],
    },
    spec: structuredClone(template.spec ?? {}),
  };
  if (Object.keys(annotations).length > 0) pod.metadata.annotations = annotations;
  if (meta.finalizers?.length) pod.metadata.finalizers = [...meta.finalizers];
  return pod;
}

export class PodControl {
  constructor(
    private readonly client: RestClient,
    private readonly recorder: EventRecorder,
  ) {}

  async createPod(owner: KubeObject, pod: Pod): Promise<Pod> {
    if (!pod.metadata.labels || Object.keys(pod.metadata.labels).length === 0) {
      throw new Error('unable to create pods, no labels');
    }
    try {
      const created = await this.client.create<Pod>(PODS, pod.metadata.namespace, pod);
      this.recorder.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      return created;
    } catch (err) {
      this.recorder.event(owner, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
      throw err;
    }
  }

  /** Deletes a pod; a pod already gone is reported as NotFound to the caller without an event. */
  async deletePod(owner: KubeObject, namespace: string, name: string): Promise<void> {
    try {
      await this.client.delete(PODS, namespace, name);
      this.recorder.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
    } catch (err) {
      if (isNotFound(err)) throw err;
      this.recorder.event(owner, 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
      throw err;
    }
  }
}

/**
 * Runs fn `count` times in batches of 1, 2, 4, ... and stops at the first
 * batch with a failure, so a quota or admission error costs one or two
 * calls instead of hundreds. Returns how many succeeded and the first error.
 */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<unknown>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length > 0) return { successes, error: failed[0]!.reason };
    remaining -= batch;
  }
  return { successes };
}
