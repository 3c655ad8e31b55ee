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

/**
 * Whether two statuses agree on every key the kubelet owns, whatever their
 * key order, with null taken for absent: the API server drops
 * `lastProbeTime: null` and may reorder keys, and a status that only looked
 * different used to be written again on every informer event. Two kubelet
 * syncs racing on stale informer copies then wrote their two transition
 * times in turn, each write's event provoking the other (30 writes a pod
 * under load instead of 2). Compared in place rather than through a
 * canonical string of each side: the strings cost a hollow node more than
 * the rest of its status handling.
 */
export function sameOwnedStatus(a: PodStatus | undefined, b: PodStatus | undefined): boolean {
  for (const k of OWNED) if (!sameValue(a?.[k], b?.[k])) return false;
  return true;
}

const absent = (v: unknown): boolean => v === null || v === undefined;

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (absent(a) || absent(b)) return absent(a) && absent(b);
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let present = 0;
  for (const k of Object.keys(x)) {
    if (absent(x[k])) continue;
    present++;
    if (!sameValue(x[k], y[k])) return false;
  }
  for (const k of Object.keys(y)) if (!absent(y[k])) present--;
  return present === 0;
}

/**
 * Upstream's status manager keeps a condition's lastTransitionTime (and the
 * pod's startTime) from its own cache of what it last sent, not from the pod
 * copy the sync started with: that copy may predate our last write, and two
 * syncs that each stamp "now" on an unchanged condition flip it back and
 * forth, one pod write per sync.
 */
function keepTimes(status: PodStatus, sent: PodStatus | undefined): PodStatus {
  if (!sent) return status;
  const conditions = status.conditions?.map((c) => {
    const before = sent.conditions?.find((p) => p.type === c.type);
    return before && before.status === c.status && before.lastTransitionTime ? { ...c, lastTransitionTime: before.lastTransitionTime } : c;
  });
  return { ...status, ...(conditions ? { conditions } : {}), ...(sent.startTime ? { startTime: sent.startTime } : {}) };
}

export class StatusManager {
  private readonly lastSent = new Map<string, { rv?: string; status: PodStatus }>();

  constructor(private readonly ctx: KubeletContext) {}

  /**
   * Brings `target` (the API pod, or a static pod's mirror) to `status`.
   * Returns false when the write failed and should be retried.
   */
  async update(target: Pod, computed: PodStatus): Promise<boolean> {
    const uid = target.metadata.uid!;
    const last = this.lastSent.get(uid);
    const status = keepTimes(computed, last?.status);
    if (sameOwnedStatus(status, target.status)) {
      this.lastSent.set(uid, { rv: target.metadata.resourceVersion, status });
      return true;
    }
    // Our last write may simply not have reached the informer yet.
    if (last && last.rv === target.metadata.resourceVersion && sameOwnedStatus(last.status, status)) return true;
    const patch: Record<string, unknown> = {};
    for (const k of OWNED) patch[k] = status[k] ?? (target.status?.[k] !== undefined ? null : undefined);
    for (const k of Object.keys(patch)) if (patch[k] === undefined) delete patch[k];
    try {
      await this.ctx.client.patch(PODS, target.metadata.namespace, target.metadata.name!, 'merge', { metadata: { uid }, status: patch }, { subresource: 'status' });
      this.lastSent.set(uid, { rv: target.metadata.resourceVersion, status });
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
