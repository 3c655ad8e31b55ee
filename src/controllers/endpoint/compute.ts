import {
  findPort,
  isHeadless,
  isPodReady,
  podHostname,
  podIPOf,
  podReference,
  serviceFamilies,
  shouldPodBeInEndpoints,
  type Pod,
  type Service,
} from './pod-endpoints.js';

// The Endpoints a Service's pods make, as upstream's endpoints controller
// computes them: one address per pod (in the service's first IP family),
// ready pods under addresses and the rest under notReadyAddresses (unless
// publishNotReadyAddresses), ports resolved per pod, then repacked so pods
// offering the same ports share a subset.

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind: string; namespace: string; name: string; uid: string };
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** Upstream's maxCapacity: beyond this many addresses Endpoints are truncated and annotated. */
export const MAX_ENDPOINTS_CAPACITY = 1000;
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';

interface Entry {
  addr: EndpointAddress;
  ready: boolean;
  ports: EndpointPort[];
}

export function podToAddress(svc: Service, pod: Pod): EndpointAddress | undefined {
  const ip = podIPOf(pod, serviceFamilies(svc)[0]!);
  if (!ip) return undefined;
  const addr: EndpointAddress = { ip };
  const hostname = podHostname(pod, svc);
  if (hostname) addr.hostname = hostname;
  if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
  addr.targetRef = podReference(pod);
  return addr;
}

export function computeSubsets(svc: Service, pods: Pod[]): { subsets: EndpointSubset[]; ready: number; notReady: number } {
  const tolerateUnready = svc.spec?.publishNotReadyAddresses === true;
  const entries: Entry[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const addr = podToAddress(svc, pod);
    if (!addr) continue;
    const ready = tolerateUnready || isPodReady(pod);
    const svcPorts = svc.spec?.ports ?? [];
    if (svcPorts.length === 0 && isHeadless(svc)) {
      entries.push({ addr, ready, ports: [] });
      continue;
    }
    for (const sp of svcPorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) ep.name = sp.name;
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      entries.push({ addr, ready, ports: [ep] });
    }
  }
  const subsets = repack(entries);
  let ready = 0;
  let notReady = 0;
  for (const s of subsets) {
    ready += s.addresses?.length ?? 0;
    notReady += s.notReadyAddresses?.length ?? 0;
  }
  return { subsets, ready, notReady };
}

const addrKey = (a: EndpointAddress): string => `${a.ip}|${a.targetRef?.uid ?? ''}`;
const portKey = (p: EndpointPort): string => JSON.stringify([p.name ?? '', p.port, p.protocol ?? '', p.appProtocol ?? '']);

function compareAddr(a: EndpointAddress, b: EndpointAddress): number {
  return a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : (a.targetRef?.uid ?? '').localeCompare(b.targetRef?.uid ?? '');
}

function comparePort(a: EndpointPort, b: EndpointPort): number {
  return (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port || (a.protocol ?? '').localeCompare(b.protocol ?? '');
}

/** Groups addresses by the exact set of ports they offer (RepackSubsets), in a stable order. */
export function repack(entries: Entry[]): EndpointSubset[] {
  const NO_PORT = '-';
  const byPort = new Map<string, { port?: EndpointPort; addrs: Map<string, { addr: EndpointAddress; ready: boolean }> }>();
  for (const e of entries) {
    const ports = e.ports.length ? e.ports : [undefined];
    for (const p of ports) {
      const k = p ? portKey(p) : NO_PORT;
      let slot = byPort.get(k);
      if (!slot) byPort.set(k, (slot = { port: p, addrs: new Map() }));
      slot.addrs.set(addrKey(e.addr), { addr: e.addr, ready: e.ready });
    }
  }
  const bySet = new Map<string, { addrs: { addr: EndpointAddress; ready: boolean }[]; ports: EndpointPort[] }>();
  for (const slot of byPort.values()) {
    const addrs = [...slot.addrs.values()].sort((a, b) => compareAddr(a.addr, b.addr));
    const setKey = addrs.map((a) => `${addrKey(a.addr)}:${a.ready}`).join(',');
    let group = bySet.get(setKey);
    if (!group) bySet.set(setKey, (group = { addrs, ports: [] }));
    if (slot.port) group.ports.push(slot.port);
  }
  const out: EndpointSubset[] = [];
  for (const g of bySet.values()) {
    const s: EndpointSubset = {};
    const ready = g.addrs.filter((a) => a.ready).map((a) => a.addr);
    const notReady = g.addrs.filter((a) => !a.ready).map((a) => a.addr);
    if (ready.length) s.addresses = ready;
    if (notReady.length) s.notReadyAddresses = notReady;
    if (g.ports.length) s.ports = g.ports.sort(comparePort);
    out.push(s);
  }
  const first = (s: EndpointSubset): EndpointAddress => (s.addresses ?? s.notReadyAddresses)![0]!;
  return out.sort((a, b) => compareAddr(first(a), first(b)) || JSON.stringify(a.ports ?? []).localeCompare(JSON.stringify(b.ports ?? [])));
}

/** Keeps at most MAX_ENDPOINTS_CAPACITY addresses, ready ones first, as upstream's truncateEndpoints. */
export function truncate(subsets: EndpointSubset[], ready: number, notReady: number): EndpointSubset[] {
  if (ready + notReady <= MAX_ENDPOINTS_CAPACITY) return subsets;
  let readyLeft = Math.min(ready, MAX_ENDPOINTS_CAPACITY);
  let notReadyLeft = MAX_ENDPOINTS_CAPACITY - readyLeft;
  return subsets.map((s) => {
    const out: EndpointSubset = { ...s };
    const a = (s.addresses ?? []).slice(0, readyLeft);
    readyLeft -= a.length;
    const n = (s.notReadyAddresses ?? []).slice(0, notReadyLeft);
    notReadyLeft -= n.length;
    if (a.length) out.addresses = a;
    else delete out.addresses;
    if (n.length) out.notReadyAddresses = n;
    else delete out.notReadyAddresses;
    return out;
  }).filter((s) => s.addresses || s.notReadyAddresses);
}
