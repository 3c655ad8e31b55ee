import type { Endpoint, EndpointSlice, IPFamily, Service, ServicePort } from './types.js';
import { familyOf, usesClusterEndpoints, usesLocalEndpoints } from './types.js';

// What the proxy knows: Services and EndpointSlices by service, turned into
// service ports and their endpoints as upstream's ServiceChangeTracker and
// EndpointSliceCache do. Every change marks its service dirty, so a sync
// re-renders only the services that changed.

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);

/** The service's ports as seen by the proxier of one IP family (a dual-stack service has a cluster IP of each). */
export function servicePorts(svc: Service, family: IPFamily = 'IPv4'): ServicePort[] {
  const spec = svc.spec ?? {};
  const ns = svc.metadata?.namespace ?? 'default';
  const service = `${ns}/${svc.metadata?.name ?? ''}`;
  const ips = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  // Headless and ExternalName services have no virtual IP to proxy.
  if (spec.type === 'ExternalName' || ips[0] === 'None') return [];
  const clusterIP = ips.find((ip) => familyOf(ip) === family);
  if (!clusterIP) return [];
  const mine = (ip: string): boolean => !!ip && familyOf(ip) === family;
  const lb = spec.type === 'LoadBalancer' ? (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter(mine) : [];
  const ranges = spec.type === 'LoadBalancer' ? (spec.loadBalancerSourceRanges ?? []).map((r) => r.trim()).filter(mine) : [];
  const sticky = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : 0;
  const out: ServicePort[] = [];
  for (const p of spec.ports ?? []) {
    const protocol = (p.protocol ?? 'TCP').toUpperCase();
    if (!PROTOCOLS.has(protocol)) continue;
    const portName = p.name ?? '';
    out.push({
      name: portName ? `${service}:${portName}` : service,
      service,
      portName,
      protocol: protocol as ServicePort['protocol'],
      clusterIP,
      port: p.port,
      nodePort: spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? (p.nodePort ?? 0) : 0,
      externalIPs: (spec.externalIPs ?? []).filter(mine),
      loadBalancerIPs: lb,
      sourceRanges: ranges,
      stickySeconds: sticky,
      internalLocal: spec.internalTrafficPolicy === 'Local',
      externalLocal: spec.externalTrafficPolicy === 'Local',
    });
  }
  return out;
}

/**
 * Endpoints of each port name of a service, merged over its slices. A slice's
 * port is named after the Service port (the controller resolved any named
 * targetPort to a number), so the port name is the join key, as upstream.
 */
export function endpointsByPortName(slices: Iterable<EndpointSlice>, nodeName: string, family: IPFamily = 'IPv4'): Map<string, Endpoint[]> {
  const out = new Map<string, Map<string, Endpoint>>();
  for (const s of slices) {
    if ((s.addressType ?? 'IPv4') !== family) continue;
    for (const p of s.ports ?? []) {
      if (!p.port) continue;
      const name = p.name ?? '';
      let byAddr = out.get(name);
      if (!byAddr) out.set(name, (byAddr = new Map()));
      for (const e of s.endpoints ?? []) {
        const ip = e.addresses?.[0];
        if (!ip) continue;
        const c = e.conditions ?? {};
        // Unset ready/serving mean true (discovery/v1 semantics); terminating unset means false.
        const ready = c.ready !== false;
        const ep: Endpoint = {
          ip,
          port: p.port,
          ready,
          serving: c.serving === undefined || c.serving === null ? ready : c.serving,
          terminating: c.terminating === true,
          local: !!e.nodeName && e.nodeName === nodeName,
          nodeName: e.nodeName,
        };
        const key = `${ip}:${p.port}`;
        // The same address in two slices (a controller mid-move): prefer the ready copy.
        const prev = byAddr.get(key);
        if (!prev || (!prev.ready && ep.ready)) byAddr.set(key, ep);
      }
    }
  }
  const result = new Map<string, Endpoint[]>();
  for (const [name, m] of out) result.set(name, [...m.values()].sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1)));
  return result;
}

function usable(eps: Endpoint[]): Endpoint[] {
  const ready = eps.filter((e) => e.ready);
  // Upstream's ProxyTerminatingEndpoints: when nothing is ready, serving-but-terminating endpoints still take traffic.
  return ready.length ? ready : eps.filter((e) => e.serving && e.terminating);
}

export interface Categorized {
  cluster: Endpoint[];
  local: Endpoint[];
  /** Union of the two sets in use: the endpoints this node needs chains for. */
  reachable: Endpoint[];
  /** Any usable endpoint anywhere (even one this node's policy excludes). */
  hasAny: boolean;
}

/** Upstream's CategorizeEndpoints, without topology hints. */
export function categorize(sp: ServicePort, eps: Endpoint[]): Categorized {
  const all = usable(eps);
  const cluster = usesClusterEndpoints(sp) ? all : [];
  const local = usesLocalEndpoints(sp) ? usable(eps.filter((e) => e.local)) : [];
  const seen = new Set<Endpoint>([...cluster, ...local]);
  return { cluster, local, reachable: [...seen], hasAny: all.length > 0 };
}

/** Services and slices by "ns/name", with the set of names changed since the last take. */
export class ProxyState {
  readonly services = new Map<string, Service>();
  readonly slices = new Map<string, Map<string, EndpointSlice>>();
  private dirty = new Set<string>();
  /** Per service, a number that changes with every change to it: a proxier re-renders a service only when it moved. */
  private readonly versions = new Map<string, number>();
  private generation = 0;

  constructor(readonly nodeName: string) {}

  setService(svc: Service | undefined, key: string): void {
    if (svc) this.services.set(key, svc);
    else this.services.delete(key);
    this.touch(key);
  }

  private touch(key: string): void {
    this.dirty.add(key);
    if (this.services.has(key) || this.slices.has(key)) this.versions.set(key, ++this.generation);
    else this.versions.delete(key);
  }

  version(key: string): number {
    return this.versions.get(key) ?? 0;
  }

  setSlice(slice: EndpointSlice, deleted: boolean): void {
    const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc) return;
    const key = `${slice.metadata?.namespace ?? 'default'}/${svc}`;
    let m = this.slices.get(key);
    if (!m) this.slices.set(key, (m = new Map()));
    if (deleted) m.delete(slice.metadata?.name ?? '');
    else m.set(slice.metadata?.name ?? '', slice);
    if (m.size === 0) this.slices.delete(key);
    this.touch(key);
  }

  /** Names changed since the last call. */
  takeDirty(): Set<string> {
    const d = this.dirty;
    this.dirty = new Set();
    return d;
  }

  /** Service ports of one service with each port's endpoints. */
  resolve(key: string, family: IPFamily = 'IPv4'): Array<{ sp: ServicePort; endpoints: Endpoint[] }> {
    const svc = this.services.get(key);
    if (!svc) return [];
    const ports = servicePorts(svc, family);
    if (!ports.length) return [];
    const byName = endpointsByPortName(this.slices.get(key)?.values() ?? [], this.nodeName, family);
    return ports.map((sp) => ({ sp, endpoints: byName.get(sp.portName) ?? [] }));
  }
}
