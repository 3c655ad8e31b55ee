import type { KubeObject } from '../../api/types.js';

// Which pods the pod garbage collector removes, as upstream's gc_controller:
// terminated pods beyond the threshold (evicted first, then oldest),
// pods bound to nodes that no longer exist, pods being deleted that were
// never scheduled, and terminating pods on out-of-service nodes.

export interface GcPod extends KubeObject {
  spec?: { nodeName?: string };
  status?: { phase?: string; reason?: string; conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[] };
}

export interface GcNode extends KubeObject {
  spec?: { taints?: { key: string; effect: string; value?: string }[] };
  status?: { conditions?: { type: string; status: string }[] };
}

export const OUT_OF_SERVICE_TAINT = 'node.kubernetes.io/out-of-service';

/** Upstream's isPodTerminated: anything not Pending, Running or Unknown. */
export function isPodTerminated(p: GcPod): boolean {
  const phase = p.status?.phase ?? '';
  return phase !== 'Pending' && phase !== 'Running' && phase !== 'Unknown';
}

/** The terminated pods to delete so that at most `threshold` remain (0 disables). */
export function terminatedToDelete(pods: GcPod[], threshold: number): GcPod[] {
  if (threshold <= 0) return [];
  const terminated = pods.filter(isPodTerminated);
  const n = terminated.length - threshold;
  if (n <= 0) return [];
  const evicted = (p: GcPod): number => (p.status?.reason === 'Evicted' ? 0 : 1);
  const created = (p: GcPod): number => Date.parse(p.metadata.creationTimestamp ?? '') || 0;
  terminated.sort((a, b) => evicted(a) - evicted(b) || created(a) - created(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  return terminated.slice(0, n);
}

export function unscheduledTerminating(pods: GcPod[]): GcPod[] {
  return pods.filter((p) => p.metadata.deletionTimestamp && !p.spec?.nodeName);
}

/** Nodes the pods are bound to that are missing from the cache. */
export function missingNodes(pods: GcPod[], nodeExists: (name: string) => boolean): Set<string> {
  const out = new Set<string>();
  for (const p of pods) {
    const n = p.spec?.nodeName;
    if (n && !nodeExists(n)) out.add(n);
  }
  return out;
}

/** Terminating pods on nodes that are not ready and were declared out of service (non-graceful node shutdown). */
export function terminatingOnOutOfServiceNodes(pods: GcPod[], nodeOf: (name: string) => GcNode | undefined): GcPod[] {
  return pods.filter((p) => {
    if (!p.metadata.deletionTimestamp || !p.spec?.nodeName) return false;
    const node = nodeOf(p.spec.nodeName);
    if (!node) return false;
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    return !ready && (node.spec?.taints ?? []).some((t) => t.key === OUT_OF_SERVICE_TAINT && t.effect === 'NoExecute');
  });
}
