import { isConflict, isNotFound } from '../../client/status.js';
import type { Pod, PodStatus } from '../api-types.js';
import type { KubeletContext } from '../context.js';

// Writes pod status to the API as upstream's status manager: only when the
// generated status differs from what the API holds, as a merge patch of
// pods/status guarded by the pod's uid (a pod recreated under the same name
// must not receive its predecessor's status). Static pods report through
// their mirror pod.

const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };

/** Status keys the kubelet owns; anything else in the API's status is left alone. */
const OWNED = ['phase', 'conditions', 'message', 'reason', 'hostIP', 'hostIPs', 'podIP', 'podIPs', 'startTime', 'initContainerStatuses', 'containerStatuses', 'ephemeralContainerStatuses'] as const;

function canonical(s: PodStatus | undefined): string {
  const o: Record<string, unknown> = {};
  for (const k of OWNED) if (s?.[k] !== undefined) o[k] = s[k];
  return JSON.stringify(o);
}

export class StatusManager {
  private readonly lastSent = new Map<string, { json: string; rv?: string }>();

  constructor(private readonly ctx: KubeletContext) {}

  /**
   * Brings `target` (the API pod, or a static pod's mirror) to `status`.
   * Returns false when the write failed and should be retried.
   */
  async update(target: Pod, status: PodStatus): Promise<boolean> {
    const uid = target.metadata.uid!;
    const json = canonical(status);
    if (json === canonical(target.status)) {
      this.lastSent.set(uid, { json, rv: target.metadata.resourceVersion });
      return true;
    }
    const last = this.lastSent.get(uid);
    // Our last write may simply not have reached the informer yet.
    if (last && last.json === json && last.rv === target.metadata.resourceVersion) return true;
    const patch: Record<string, unknown> = {};
    for (const k of OWNED) patch[k] = status[k] ?? (target.status?.[k] !== undefined ? null : undefined);
    for (const k of Object.keys(patch)) if (patch[k] === undefined) delete patch[k];
    try {
      await this.ctx.client.patch(PODS, target.metadata.namespace, target.metadata.name!, 'merge', { metadata: { uid }, status: patch }, { subresource: 'status' });
      this.lastSent.set(uid, { json, rv: target.metadata.resourceVersion });
      return true;
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return true;
      this.ctx.log.warn({ pod: `${target.metadata.namespace}/${target.metadata.name}`, err: (err as Error).message }, 'failed to update pod status');
      return false;
    }
  }

  forget(uid: string): void {
    this.lastSent.delete(uid);
  }
}
