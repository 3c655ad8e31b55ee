import { getCondition, type Lease, type Node, type NodeCondition } from './types.js';

// Whether a node's kubelet is still alive, judged as upstream's
// tryUpdateNodeHealth does: the controller's own clock stamps the moment it
// last saw the Ready heartbeat change or the node Lease renewed (never the
// kubelet's timestamps, which may come from a skewed clock); a node silent
// for longer than the grace period has its conditions set to Unknown.

export interface NodeHealth {
  readyCondition?: NodeCondition;
  probeTimestamp: number;
  readyTransitionTimestamp: number;
  leaseRenewTime?: string;
}

export const MONITORED_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

function micro(t: string | undefined): number {
  return t ? Date.parse(t) : 0;
}

/** The health record after looking at the node and its lease now. */
export function observeHealth(prev: NodeHealth | undefined, node: Node, lease: Lease | undefined, now: number): NodeHealth {
  const current = getCondition(node.status?.conditions, 'Ready');
  const saved = prev?.readyCondition;
  let h: NodeHealth;
  if (!prev || (!saved && current) || (saved && !current)) {
    h = { readyCondition: current, probeTimestamp: now, readyTransitionTimestamp: now, leaseRenewTime: prev?.leaseRenewTime };
  } else if (saved && current && saved.lastHeartbeatTime !== current.lastHeartbeatTime) {
    const transition = saved.lastTransitionTime !== current.lastTransitionTime ? now : prev.readyTransitionTimestamp;
    h = { readyCondition: current, probeTimestamp: now, readyTransitionTimestamp: transition, leaseRenewTime: prev.leaseRenewTime };
  } else {
    h = { ...prev, readyCondition: current };
  }
  // A renewed lease counts as a heartbeat even when the status is not updated.
  const renew = lease?.spec?.renewTime;
  if (renew && (!h.leaseRenewTime || micro(h.leaseRenewTime) < micro(renew))) {
    h.leaseRenewTime = renew;
    h.probeTimestamp = now;
  }
  return h;
}

/** The node's conditions with the kubelet declared silent; `changed` when a status write is needed. */
export function markConditionsUnknown(node: Node, nowIso: string): { conditions: NodeCondition[]; changed: boolean } {
  const conditions = (node.status?.conditions ?? []).map((c) => ({ ...c }));
  let changed = false;
  for (const type of MONITORED_CONDITIONS) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      conditions.push({
        type,
        status: 'Unknown',
        reason: 'NodeStatusNeverUpdated',
        message: 'Kubelet never posted node status.',
        lastHeartbeatTime: node.metadata.creationTimestamp,
        lastTransitionTime: nowIso,
      });
      changed = true;
    } else if (c.status !== 'Unknown') {
      c.status = 'Unknown';
      c.reason = 'NodeStatusUnknown';
      c.message = 'Kubelet stopped posting node status.';
      c.lastTransitionTime = nowIso;
      changed = true;
    }
  }
  return { conditions, changed };
}
