// Services, Endpoints and EndpointSlices: address and port lists, with the
// "+ N more..." elision upstream applies after three entries.

import type { KubeObject } from '../../../api/types.js';
import { DESC } from '../descriptions.js';
import { since } from '../duration.js';
import { arr, int, rec, recs, str } from '../fields.js';
import { formatLabels } from '../labels.js';
import { ageCol, col, nameCol, type Printer } from '../model.js';

const MAX_LISTED = 3;

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Load-balancer ingress points: IPs or hostnames, sorted and de-duplicated. */
function loadBalancerIngress(status: unknown): string[] {
  const seen = new Set<string>();
  for (const ing of recs(rec(rec(status).loadBalancer).ingress)) {
    if (str(ing.ip)) seen.add(str(ing.ip));
    else if (str(ing.hostname)) seen.add(str(ing.hostname));
  }
  return [...seen].sort();
}

function externalIP(svc: KubeObject): string {
  const spec = rec(svc.spec);
  const externalIPs = arr(spec.externalIPs).map(str);
  switch (str(spec.type) || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      // Server-side tables are always generated wide, so no truncation here.
      const lb = loadBalancerIngress(svc.status);
      if (externalIPs.length) return [...lb, ...externalIPs].join(',');
      return lb.length ? lb.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

function servicePorts(spec: Record<string, unknown>): string {
  const pieces = recs(spec.ports).map((p) => {
    const proto = str(p.protocol) || 'TCP';
    const nodePort = int(p.nodePort);
    return nodePort > 0 ? `${int(p.port)}:${nodePort}/${proto}` : `${int(p.port)}/${proto}`;
  });
  return pieces.length ? pieces.join(',') : '<none>';
}

export const servicePrinter: Printer = {
  columns: [
    nameCol(),
    col('Type', 'string', DESC.svcType),
    col('Cluster-IP', 'string', DESC.svcClusterIP),
    col('External-IP', 'string', DESC.svcExternalIPs),
    col('Port(s)', 'string', DESC.svcPorts),
    ageCol(),
    col('Selector', 'string', DESC.svcSelector, 1),
  ],
  print(svc, now) {
    const spec = rec(svc.spec);
    const clusterIP = str(arr(spec.clusterIPs)[0]) || str(spec.clusterIP) || '<none>';
    return {
      cells: [
        str(svc.metadata.name),
        str(spec.type) || 'ClusterIP',
        clusterIP,
        externalIP(svc),
        servicePorts(spec),
        since(svc.metadata.creationTimestamp, now),
        formatLabels(spec.selector),
      ],
    };
  },
};

export function formatEndpoints(ep: KubeObject): string {
  const subsets = recs(ep.subsets);
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  let more = false;
  let count = 0;
  const add = (s: string): void => {
    if (list.length === MAX_LISTED) more = true;
    else list.push(s);
  };
  for (const ss of subsets) {
    const addrs = recs(ss.addresses).map((a) => str(a.ip));
    const ports = recs(ss.ports);
    if (ports.length === 0) {
      // Headless services may have endpoints without ports.
      count += addrs.length;
      for (const ip of addrs) add(ip);
      continue;
    }
    for (const p of ports) {
      count += addrs.length;
      for (const ip of addrs) add(joinHostPort(ip, int(p.port)));
    }
  }
  const joined = list.join(',');
  return more ? `${joined} + ${count - MAX_LISTED} more...` : joined;
}

export const endpointsPrinter: Printer = {
  columns: [nameCol(), col('Endpoints', 'string', DESC.endpointsSubsets), ageCol()],
  print: (ep, now) => ({ cells: [str(ep.metadata.name), formatEndpoints(ep), since(ep.metadata.creationTimestamp, now)] }),
};

function listWithMore(items: string[]): string {
  const shown = items.slice(0, MAX_LISTED).join(',');
  if (items.length > MAX_LISTED) return `${shown} + ${items.length - MAX_LISTED} more...`;
  return shown === '' ? '<unset>' : shown;
}

export const endpointSlicePrinter: Printer = {
  columns: [
    nameCol(),
    col('AddressType', 'string', DESC.sliceAddressType),
    col('Ports', 'string', DESC.slicePorts),
    col('Endpoints', 'string', DESC.sliceEndpoints),
    ageCol(),
  ],
  print(slice, now) {
    const ports = recs(slice.ports).map((p) => (typeof p.port === 'number' ? String(int(p.port)) : typeof p.name === 'string' ? p.name : '*'));
    const addrs = recs(slice.endpoints).flatMap((e) => arr(e.addresses).map(str));
    return {
      cells: [str(slice.metadata.name), str(slice.addressType), listWithMore(ports), listWithMore(addrs), since(slice.metadata.creationTimestamp, now)],
    };
  },
};
