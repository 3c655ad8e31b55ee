// Services the control plane itself keeps (default/kubernetes, and
// kube-system/kube-dns in `k8ts server`): no selector, so the endpoint
// controllers leave them alone, and their Endpoints and EndpointSlice are
// written here, through the registry, as upstream's EndpointsAdapter does.

import { resourceFor } from '../../api/scheme/resources.js';
import { StatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import type { Registry } from '../handlers/context.js';

const SERVICES = resourceFor('', 'v1', 'services')!;
const ENDPOINTS = resourceFor('', 'v1', 'endpoints')!;
const SLICES = resourceFor('discovery.k8s.io', 'v1', 'endpointslices')!;

export interface EndpointPort {
  name: string;
  port: number;
  protocol: 'TCP' | 'UDP';
}

const canon = (v: unknown): string => JSON.stringify(v ?? null);

/**
 * Creates the Service, or brings an existing one's ports, type and labels
 * back to what the control plane needs (upstream's
 * CreateOrUpdateMasterServiceIfNeeded); the cluster IP, once set, stays.
 */
export async function ensureService(registry: Registry, svc: KubeObject): Promise<KubeObject> {
  const store = registry.storeFor(SERVICES);
  const ns = svc.metadata.namespace!;
  const name = svc.metadata.name!;
  // Look before creating: a create of an existing Service would first fail on its taken cluster IP.
  for (let attempt = 0; ; attempt++) {
    try {
      await store.get(ns, name);
      break;
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
    try {
      return await store.create(ns, structuredClone(svc));
    } catch (err) {
      // Another API server made it (or took its address) at the same moment: look again.
      if (!(err instanceof StatusError && (err.code === 409 || err.code === 422)) || attempt > 3) throw err;
    }
  }
  const want = svc.spec as Record<string, unknown>;
  const { object } = await store.update(ns, name, (cur) => {
    const spec = (cur.spec ??= {}) as Record<string, unknown>;
    if (canon(spec.ports) !== canon(want.ports)) spec.ports = structuredClone(want.ports);
    if (spec.type !== want.type) spec.type = want.type;
    cur.metadata.labels = { ...(cur.metadata.labels ?? {}), ...(svc.metadata.labels ?? {}) };
    return cur;
  });
  return object;
}

function family(ip: string): 'IPv4' | 'IPv6' {
  return ip.includes(':') ? 'IPv6' : 'IPv4';
}

/** Writes the Endpoints and the EndpointSlice of a selectorless Service; no write when nothing changed. */
export async function writeEndpoints(registry: Registry, namespace: string, name: string, ips: string[], ports: EndpointPort[]): Promise<void> {
  const sorted = [...new Set(ips)].sort();
  const subsets = sorted.length ? [{ addresses: sorted.map((ip) => ({ ip })), ports: ports.map((p) => ({ ...p })) }] : [];
  const epStore = registry.storeFor(ENDPOINTS);
  const epLabels = { 'endpointslice.kubernetes.io/skip-mirror': 'true' };
  const fresh = (): KubeObject => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, labels: epLabels }, subsets });
  await epStore.update(
    namespace,
    name,
    (cur) => {
      if (canon(cur.subsets ?? []) === canon(subsets) && cur.metadata.labels?.['endpointslice.kubernetes.io/skip-mirror'] === 'true') return cur;
      cur.subsets = subsets;
      cur.metadata.labels = { ...(cur.metadata.labels ?? {}), ...epLabels };
      return cur;
    },
    { createIfMissing: fresh },
  );
  const fam = sorted.length ? family(sorted[0]!) : 'IPv4';
  const endpoints = sorted.filter((ip) => family(ip) === fam).map((ip) => ({ addresses: [ip], conditions: { ready: true } }));
  const slicePorts = ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol }));
  const sliceLabels = { 'kubernetes.io/service-name': name };
  const sliceStore = registry.storeFor(SLICES);
  await sliceStore.update(
    namespace,
    name,
    (cur) => {
      if (canon(cur.endpoints ?? []) === canon(endpoints) && canon(cur.ports ?? []) === canon(slicePorts) && cur.addressType === fam) return cur;
      cur.addressType = fam;
      cur.endpoints = endpoints;
      cur.ports = slicePorts;
      cur.metadata.labels = { ...(cur.metadata.labels ?? {}), ...sliceLabels };
      return cur;
    },
    { createIfMissing: () => ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name, namespace, labels: sliceLabels }, addressType: fam, endpoints, ports: slicePorts }) },
  );
}
