import type { Node } from '../framework/types.js';

// A node update matters to pending pods only if something a plugin reads
// changed; heartbeats (condition timestamps) must not wake the whole queue.

export function nodeSchedulingPropertiesChanged(a: Node, b: Node): boolean {
  if (Boolean(a.spec?.unschedulable) !== Boolean(b.spec?.unschedulable)) return true;
  if (JSON.stringify(a.status?.allocatable ?? {}) !== JSON.stringify(b.status?.allocatable ?? {})) return true;
  if (JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {})) return true;
  if (JSON.stringify(a.spec?.taints ?? []) !== JSON.stringify(b.spec?.taints ?? [])) return true;
  const cond = (n: Node) => JSON.stringify((n.status?.conditions ?? []).map((c) => [c.type, c.status]));
  return cond(a) !== cond(b);
}
