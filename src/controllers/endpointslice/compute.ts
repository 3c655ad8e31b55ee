import type { KubeObject } from '../../api/types.js';
import { canonicalJson } from '../canonical-json.js';
import {
  findPort,
  HEADLESS_LABEL,
  isHeadless,
  isPodReady,
  podHostname,
  podIPOf,
  podReference,
  serviceFamilies,
  shouldPodBeInEndpoints,
  type Pod,
  type Service,
} from '../endpoint/pod-endpoints.js';

// The EndpointSlices a Service's pods make, as upstream's endpointslice
// reconciler: per address type, endpoints grouped by the exact set of ports
// they resolve to, at most maxEndpointsPerSlice per slice. Existing slices
// are reused in name order so a steady state causes no writes; an empty
// service keeps one placeholder slice.

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';

export interface SlicePort {
  name: string;
  port?: number;
  protocol: string;
  appProtocol?: string;
}

export interface SliceEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  hostname?: string;
  targetRef?: { kind: string; namespace: string; name: string; uid: string };
  nodeName?: string;
  zone?: string;
}

export interface EndpointSlice extends KubeObject {
  addressType: string;
  endpoints?: SliceEndpoint[] | null;
  ports?: SlicePort[] | null;
}

interface Group {
  addressType: string;
  ports: SlicePort[];
  endpoints: SliceEndpoint[];
}

export function podToEndpoint(svc: Service, pod: Pod, family: 'IPv4' | 'IPv6', zoneOf: (node: string) => string | undefined): SliceEndpoint | undefined {
  const ip = podIPOf(pod, family);
  if (!ip) return undefined;
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  const ep: SliceEndpoint = {
    addresses: [ip],
    conditions: { ready: svc.spec?.publishNotReadyAddresses === true || (serving && !terminating), serving, terminating },
  };
  const hostname = podHostname(pod, svc);
  if (hostname) ep.hostname = hostname;
  ep.targetRef = podReference(pod);
  if (pod.spec?.nodeName) {
    ep.nodeName = pod.spec.nodeName;
    const zone = zoneOf(pod.spec.nodeName);
    if (zone) ep.zone = zone;
  }
  return ep;
}

/** Desired endpoints grouped by address type and port set. */
export function desiredGroups(svc: Service, pods: Pod[], zoneOf: (node: string) => string | undefined): Group[] {
  const groups = new Map<string, Group>();
  for (const family of serviceFamilies(svc)) {
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, true)) continue;
      const ep = podToEndpoint(svc, pod, family, zoneOf);
      if (!ep) continue;
      const ports: SlicePort[] = [];
      for (const sp of svc.spec?.ports ?? []) {
        const port = findPort(pod, sp);
        if (port === undefined) continue;
        const p: SlicePort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
        if (sp.appProtocol) p.appProtocol = sp.appProtocol;
        ports.push(p);
      }
      const key = `${family}|${canonicalJson(ports)}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { addressType: family, ports, endpoints: [] }));
      g.endpoints.push(ep);
    }
  }
  for (const g of groups.values()) g.endpoints.sort((a, b) => (a.targetRef?.name ?? '').localeCompare(b.targetRef?.name ?? '') || a.addresses[0]!.localeCompare(b.addresses[0]!));
  return [...groups.values()];
}

export function sliceLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) {
    if (k === LABEL_SERVICE_NAME || k === LABEL_MANAGED_BY || k === HEADLESS_LABEL) continue;
    labels[k] = v;
  }
  labels[LABEL_SERVICE_NAME] = svc.metadata.name!;
  labels[LABEL_MANAGED_BY] = CONTROLLER_NAME;
  if (isHeadless(svc)) labels[HEADLESS_LABEL] = '';
  return labels;
}

export interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

function newSlice(svc: Service, addressType: string, ports: SlicePort[], endpoints: SliceEndpoint[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata.name}-`,
      namespace: svc.metadata.namespace,
      labels: sliceLabels(svc),
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc.metadata.name!, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    addressType,
    endpoints,
    ports,
  };
}

const portsKey = (s: EndpointSlice): string => `${s.addressType}|${canonicalJson(s.ports ?? [])}`;

/** What to write so that `existing` (the service's slices) matches the pods. */
export function planSlices(svc: Service, existing: EndpointSlice[], groups: Group[], maxPerSlice: number): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const pool = new Map<string, EndpointSlice[]>();
  for (const s of [...existing].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))) {
    const k = portsKey(s);
    pool.set(k, [...(pool.get(k) ?? []), s]);
  }
  const labels = sliceLabels(svc);
  const want: { addressType: string; ports: SlicePort[]; endpoints: SliceEndpoint[] }[] = [];
  for (const g of groups) {
    for (let i = 0; i < g.endpoints.length; i += maxPerSlice) want.push({ addressType: g.addressType, ports: g.ports, endpoints: g.endpoints.slice(i, i + maxPerSlice) });
  }
  // A service with no endpoints keeps one empty slice per address type, as upstream's placeholder.
  if (want.length === 0) for (const family of serviceFamilies(svc)) want.push({ addressType: family, ports: [], endpoints: [] });
  for (const w of want) {
    const candidate: EndpointSlice = newSlice(svc, w.addressType, w.ports, w.endpoints);
    const reuse = pool.get(portsKey(candidate))?.shift();
    if (!reuse) {
      plan.create.push(candidate);
      continue;
    }
    const same =
      canonicalJson(reuse.endpoints ?? []) === canonicalJson(w.endpoints) &&
      canonicalJson(reuse.metadata.labels ?? {}) === canonicalJson(labels) &&
      reuse.metadata.ownerReferences?.some((r) => r.uid === svc.metadata.uid && r.controller);
    if (!same) {
      plan.update.push({
        ...reuse,
        metadata: { ...reuse.metadata, labels, ownerReferences: candidate.metadata.ownerReferences },
        endpoints: w.endpoints,
        ports: w.ports,
      });
    }
  }
  for (const left of pool.values()) plan.delete.push(...left);
  return plan;
}
