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
const OWNED = ['phase', 'conditions', 'message', 'reason', 'hostIP', 'hostIPs', 'podIP', 'podIPs', 'startTime', 'initContainerStatuses', 'containerStatuses'] as const;

/**
 * The owned part of a status as a string that two equal statuses share
 * whatever their key order, with null taken for absent: the API server drops
 * `lastProbeTime: null` and may reorder keys, and a status that only looked
 * different used to be written again on every informer event. Two kubelet
 * syncs racing on stale informer copies then wrote their two transition
 * times in turn, each write's event provoking the other (30 writes a pod
 * under load instead of 2).
 */
export function canonicalStatus(s: PodStatus | undefined): string {
  const o: Record<string, unknown> = {};
  for (const k of OWNED) if (s?.[k] !== undefined && s[k] !== null) o[k] = s[k];
  return sorted(o);
}

function sorted(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(sorted).join(',')}]`;
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined && obj[k] !== null)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${sorted(obj[k])}`).join(',')}}`;
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
  private readonly lastSent = new Map<string, { json: string; rv?: string; status: PodStatus }>();

  constructor(private readonly ctx: KubeletContext) {}

  /**
   * Brings `target` (the API pod, or a static pod's mirror) to `status`.
   * Returns false when the write failed and should be retried.
   */
  async update(target: Pod, computed: PodStatus): Promise<boolean> {
    const uid = target.metadata.uid!;
    const last = this.lastSent.get(uid);
    const status = keepTimes(computed, last?.status);
    const json = canonicalStatus(status);
    if (json === canonicalStatus(target.status)) {
      this.lastSent.set(uid, { json, rv: target.metadata.resourceVersion, status });
      return true;
    }
    // Our last write may simply not have reached the informer yet.
    if (last && last.json === json && last.rv === target.metadata.resourceVersion) return true;
    const patch: Record<string, unknown> = {};
    for (const k of OWNED) patch[k] = status[k] ?? (target.status?.[k] !== undefined ? null : undefined);
    for (const k of Object.keys(patch)) if (patch[k] === undefined) delete patch[k];
    try {
      await this.ctx.client.patch(PODS, target.metadata.namespace, target.metadata.name!, 'merge', { metadata: { uid }, status: patch }, { subresource: 'status' });
      this.lastSent.set(uid, { json, rv: target.metadata.resourceVersion, status });
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
