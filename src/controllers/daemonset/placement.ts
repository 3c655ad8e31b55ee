import type { Node, PodSpec, Toleration } from '../shared/types.js';

// Where a DaemonSet's pods belong (upstream's daemon/util and
// NodeShouldRunDaemonPod): the node must match the pod's node selector and
// required node affinity, and the pod (with the tolerations every daemon
// pod gets) must tolerate the node's NoSchedule and NoExecute taints. The
// pod itself is pinned with a matchFields affinity on metadata.name and left
// to the scheduler, as upstream does.

/** Tolerations upstream adds to every daemon pod, so node conditions never evict or block them. */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const t: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork) t.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  return t;
}

/** Adds each daemon toleration unless one with the same key, effect and operator is there (then it is replaced). */
export function addDaemonTolerations(spec: PodSpec): void {
  const list = [...(spec.tolerations ?? [])];
  for (const t of daemonTolerations(spec.hostNetwork === true)) {
    const i = list.findIndex((x) => (x.key ?? '') === t.key && (x.effect ?? '') === t.effect && (x.operator ?? 'Equal') === t.operator);
    if (i >= 0) list[i] = t;
    else list.push(t);
  }
  spec.tolerations = list;
}

/** Pins the pod to one node through required node affinity on metadata.name. */
export function pinToNode(spec: PodSpec, nodeName: string): void {
  const term = { matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] };
  const affinity = structuredClone(spec.affinity ?? {});
  affinity.nodeAffinity ??= {};
  affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution ??= {};
  affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms = [term];
  spec.affinity = affinity;
}

/** The node a daemon pod is for: its nodeName, or the one its affinity pins it to. */
export function targetNodeName(spec: PodSpec | undefined): string | undefined {
  if (spec?.nodeName) return spec.nodeName;
  const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const t of terms) {
    for (const f of t.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

export function tolerates(t: Toleration, taint: { key: string; value?: string; effect: string }): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return !t.key || t.key === taint.key;
  return (t.key ?? '') === taint.key && (t.value ?? '') === (taint.value ?? '');
}

interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}

function requirementMatches(r: Requirement, value: string | undefined): boolean {
  switch (r.operator) {
    case 'In':
      return value !== undefined && (r.values ?? []).includes(value);
    case 'NotIn':
      return value === undefined || !(r.values ?? []).includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || !/^-?\d+$/.test(value) || !r.values?.[0]) return false;
      return r.operator === 'Gt' ? Number(value) > Number(r.values[0]) : Number(value) < Number(r.values[0]);
    }
    default:
      return false;
  }
}

function nodeMatchesSelectorAndAffinity(node: Node, spec: PodSpec): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms: { matchExpressions?: Requirement[]; matchFields?: Requirement[] }[] | undefined = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms) return true;
  // Terms are ORed; an empty term matches nothing.
  return terms.some((t) => {
    const exprs = t.matchExpressions ?? [];
    const fields = t.matchFields ?? [];
    if (exprs.length === 0 && fields.length === 0) return false;
    return exprs.every((r) => requirementMatches(r, labels[r.key])) && fields.every((r) => r.key === 'metadata.name' && requirementMatches(r, node.metadata.name));
  });
}

/**
 * shouldRun: a pod should be created here. shouldContinueRunning: an
 * existing pod may stay (only NoExecute taints evict).
 */
export function nodeShouldRunDaemonPod(node: Node, template: PodSpec): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const spec = structuredClone(template);
  addDaemonTolerations(spec);
  if (spec.nodeName && spec.nodeName !== node.metadata.name) return { shouldRun: false, shouldContinueRunning: false };
  if (!nodeMatchesSelectorAndAffinity(node, spec)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints ?? [];
  const tolerated = (effects: string[]): boolean => taints.filter((t) => effects.includes(t.effect)).every((taint) => (spec.tolerations ?? []).some((t) => tolerates(t, taint)));
  return { shouldRun: tolerated(['NoSchedule', 'NoExecute']), shouldContinueRunning: tolerated(['NoExecute']) };
}
