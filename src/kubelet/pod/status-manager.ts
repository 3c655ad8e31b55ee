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
 * The owned part of a status as a string that is equal whenever the API
 * would store the same thing: keys sorted, nulls dropped (a merge patch's
 * null deletes a field, so the stored copy never has them). A plain
 * JSON.stringify saw our `lastProbeTime: null` as a difference every time.
 */
function canonical(s: PodStatus | undefined): string {
  const o: Record<string, unknown> = {};
  for (const k of OWNED) if (s?.[k] !== undefined) o[k] = s[k];
  return JSON.stringify(normalized(o));
}

function normalized(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalized);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== null && x !== undefined) out[k] = normalized(x);
  }
  return out;
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
    const json = canonical(status);
    if (json === canonical(target.status)) {
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
