import { isIP } from 'node:net';
import type { KubeObject } from '../../api/types.js';

// The environment variables a kubelet gives every container for Services,
// as upstream's getServiceEnvVarMap and envvars.FromServices: the
// `kubernetes` Service of the default namespace always (so in-cluster
// clients find the API server through KUBERNETES_SERVICE_HOST/PORT), and
// with enableServiceLinks (the default) every Service of the pod's own
// namespace, in the Docker-links shape (FOO_SERVICE_HOST, FOO_PORT_80_TCP...).

/** What the kubelet knows about Services: a synced informer's cache. */
export interface ServiceLister {
  list(): KubeObject[];
  hasSynced(): boolean;
}

interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
}

interface ServiceSpec {
  clusterIP?: string;
  ports?: ServicePort[];
}

/** Services only upstream's kubelet always exposes, from the default namespace. */
const MASTER_SERVICES = new Set(['kubernetes']);

const envName = (s: string): string => s.toUpperCase().replace(/-/g, '_');

function hostPort(ip: string, port: number): string {
  return isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function serviceIPSet(spec: ServiceSpec | undefined): spec is ServiceSpec & { clusterIP: string } {
  return !!spec?.clusterIP && spec.clusterIP !== 'None';
}

/** upstream's FromServices for one Service, appended to `out`. */
function addService(out: Map<string, string>, name: string, spec: ServiceSpec & { clusterIP: string }): void {
  const ports = spec.ports ?? [];
  if (ports.length === 0) return;
  const prefix = envName(name);
  out.set(`${prefix}_SERVICE_HOST`, spec.clusterIP);
  out.set(`${prefix}_SERVICE_PORT`, String(ports[0]!.port));
  for (const p of ports) if (p.name) out.set(`${prefix}_SERVICE_PORT_${envName(p.name)}`, String(p.port));
  ports.forEach((p, i) => {
    const protocol = (p.protocol || 'TCP').toUpperCase();
    const url = `${protocol.toLowerCase()}://${hostPort(spec.clusterIP, p.port)}`;
    // Docker special-cases the first port.
    if (i === 0) out.set(`${prefix}_PORT`, url);
    const portPrefix = `${prefix}_PORT_${p.port}_${protocol}`;
    out.set(portPrefix, url);
    out.set(`${portPrefix}_PROTO`, protocol.toLowerCase());
    out.set(`${portPrefix}_PORT`, String(p.port));
    out.set(`${portPrefix}_ADDR`, spec.clusterIP);
  });
}

/** The service variables for a pod in `namespace`; a name the pod itself defines wins over these. */
export function serviceEnvironment(services: readonly KubeObject[], namespace: string, enableServiceLinks: boolean): Map<string, string> {
  const chosen = new Map<string, KubeObject>();
  for (const svc of services) {
    const spec = svc.spec as ServiceSpec | undefined;
    if (!serviceIPSet(spec)) continue;
    const name = svc.metadata.name ?? '';
    if (svc.metadata.namespace === 'default' && MASTER_SERVICES.has(name)) {
      if (!chosen.has(name)) chosen.set(name, svc);
    } else if (svc.metadata.namespace === namespace && enableServiceLinks) {
      chosen.set(name, svc);
    }
  }
  const out = new Map<string, string>();
  for (const [name, svc] of chosen) addService(out, name, svc.spec as ServiceSpec & { clusterIP: string });
  return out;
}
