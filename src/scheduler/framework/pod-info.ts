import type { Pod, PodAffinityTerm } from './types.js';
import { podKey, podPriority } from './types.js';
import { Resource, podRequests } from './resource.js';
import { compileSelector, selectorMatches, type CompiledSelector } from '../util/selectors.js';

// A pod with everything the plugins derive from its spec computed once:
// requests, host ports, parsed affinity terms. Built when the pod enters the
// cache or the queue, shared by every cycle after.

export interface AffinityTerm {
  /** Namespaces named by the term (or the pod's own when none is named and no selector is set). */
  namespaces: Set<string>;
  /** null: no namespace selector; [] matches every namespace. */
  namespaceSelector: CompiledSelector;
  selector: CompiledSelector;
  topologyKey: string;
  weight: number;
}

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

export type NamespaceLabels = (namespace: string) => Record<string, string> | undefined;

function compileTerm(pod: Pod, t: PodAffinityTerm, weight: number): AffinityTerm {
  const namespaces = new Set(t.namespaces ?? []);
  if (namespaces.size === 0 && !t.namespaceSelector) namespaces.add(pod.metadata.namespace ?? '');
  let selector = compileSelector(t.labelSelector);
  // matchLabelKeys / mismatchLabelKeys merge the pod's own label values into the selector.
  const labels = pod.metadata.labels ?? {};
  if (selector && (t.matchLabelKeys?.length || t.mismatchLabelKeys?.length)) {
    selector = [...selector];
    for (const k of t.matchLabelKeys ?? []) if (k in labels) selector.push({ key: k, op: 'in', values: [labels[k]!] });
    for (const k of t.mismatchLabelKeys ?? []) if (k in labels) selector.push({ key: k, op: 'notin', values: [labels[k]!] });
  }
  return { namespaces, namespaceSelector: compileSelector(t.namespaceSelector), selector, topologyKey: t.topologyKey, weight };
}

export function termMatches(term: AffinityTerm, pod: Pod, nsLabels: NamespaceLabels): boolean {
  const ns = pod.metadata.namespace ?? '';
  if (!term.namespaces.has(ns)) {
    if (term.namespaceSelector === null) return false;
    if (term.namespaceSelector.length > 0 && !selectorMatches(term.namespaceSelector, nsLabels(ns))) return false;
  }
  return selectorMatches(term.selector, pod.metadata.labels);
}

export class PodInfo {
  readonly key: string;
  readonly priority: number;
  readonly requests: Resource;
  readonly nonZeroRequests: Resource;
  readonly hostPorts: HostPort[];
  readonly requiredAffinity: AffinityTerm[];
  readonly requiredAntiAffinity: AffinityTerm[];
  readonly preferredAffinity: AffinityTerm[];
  readonly preferredAntiAffinity: AffinityTerm[];

  constructor(readonly pod: Pod) {
    this.key = podKey(pod);
    this.priority = podPriority(pod);
    this.requests = podRequests(pod);
    this.nonZeroRequests = podRequests(pod, true);
    this.hostPorts = [];
    for (const c of pod.spec.containers ?? []) {
      for (const p of c.ports ?? []) {
        if (!p.hostPort || p.hostPort <= 0) continue;
        this.hostPorts.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
      }
    }
    const a = pod.spec.affinity;
    this.requiredAffinity = (a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => compileTerm(pod, t, 1));
    this.requiredAntiAffinity = (a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => compileTerm(pod, t, 1));
    this.preferredAffinity = (a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => compileTerm(pod, w.podAffinityTerm, w.weight));
    this.preferredAntiAffinity = (a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => compileTerm(pod, w.podAffinityTerm, w.weight));
  }

  get name(): string {
    return this.pod.metadata.name ?? '';
  }

  get namespace(): string {
    return this.pod.metadata.namespace ?? '';
  }

  get uid(): string {
    return this.pod.metadata.uid ?? '';
  }

  hasAffinity(): boolean {
    return this.requiredAffinity.length + this.requiredAntiAffinity.length + this.preferredAffinity.length + this.preferredAntiAffinity.length > 0;
  }
}
