import type { Pod } from './netns.js';

// What the proxy e2e suites (iptables and nftables modes) create with kubectl
// and read back from their pods.

/** The pods' addresses; ClusterIP traffic from outside it is masqueraded. */
export const CLUSTER_CIDR = '10.250.0.0/16';

export function service(name: string, ip: string, extra: Record<string, unknown> = {}, ports: unknown[] = [{ name: 'http', port: 80, targetPort: 80 }]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { clusterIP: ip, ports, ...extra } });
}

export function slice(svc: string, eps: Array<{ pod: Pod; node?: string; ready?: boolean }>, port = 80, name = `${svc}-1`, portName = 'http'): string {
  return JSON.stringify({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: eps.map((e) => ({ addresses: [e.pod.ip], conditions: { ready: e.ready ?? true }, nodeName: e.node ?? 'node-1' })),
    ports: [{ name: portName, port, protocol: 'TCP' }],
  });
}

/** busybox httpd gives CGI scripts REMOTE_ADDR as "[::ffff:a.b.c.d]". */
export const addr = (body: string): string => body.replace(/^\[(::ffff:)?|\]$/g, '');

export function counts(lines: string[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const l of lines) c[l] = (c[l] ?? 0) + 1;
  return c;
}
