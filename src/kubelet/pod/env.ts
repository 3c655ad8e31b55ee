import type { KubeObject } from '../../api/types.js';
import { parseQuantity } from '../../api/quantity.js';
import type { Container, Pod } from '../api-types.js';
import { expand } from './expansion.js';

// A container's environment as upstream's makeEnvironmentVariables builds
// it: envFrom sources first, then env entries in order (later ones win),
// each value $(VAR)-expanded against what is defined so far. A missing
// ConfigMap, Secret or key that is not optional is a configuration error
// (the container waits with CreateContainerConfigError).

export class ContainerConfigError extends Error {}

export interface EnvLookups {
  configMap(namespace: string, name: string): Promise<KubeObject | undefined>;
  secret(namespace: string, name: string): Promise<KubeObject | undefined>;
  podIP?: string;
  podIPs?: string[];
  hostIP?: string;
  hostIPs?: string[];
  nodeName: string;
  /** Node allocatable, the default for resourceFieldRef limits a container does not set. */
  allocatable: { cpu: string; memory: string; 'ephemeral-storage'?: string };
  /** Service variables (service-env.ts): usable in $(VAR) references, added after the container's own. */
  serviceEnv?: ReadonlyMap<string, string>;
}

type KV = { name: string; value: string };

function dataOf(obj: KubeObject, secret: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  const data = (obj.data ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(data)) out[k] = secret ? Buffer.from(v, 'base64').toString('utf8') : v;
  if (!secret) for (const [k, v] of Object.entries((obj.binaryData ?? {}) as Record<string, string>)) out[k] = Buffer.from(v, 'base64').toString('utf8');
  if (secret) for (const [k, v] of Object.entries((obj.stringData ?? {}) as Record<string, string>)) out[k] = v;
  return out;
}

/** Values for fieldRef paths (env and downward API volumes). */
export function podFieldValue(pod: Pod, path: string, lk: Pick<EnvLookups, 'podIP' | 'podIPs' | 'hostIP' | 'hostIPs' | 'nodeName'>): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return ((m[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations) ?? {})[m[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'metadata.labels':
      return formatMap(pod.metadata.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata.annotations);
    case 'spec.nodeName':
      return pod.spec.nodeName ?? lk.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.hostIP':
      return lk.hostIP ?? '';
    case 'status.hostIPs':
      return (lk.hostIPs ?? (lk.hostIP ? [lk.hostIP] : [])).join(',');
    case 'status.podIP':
      return lk.podIP ?? '';
    case 'status.podIPs':
      return (lk.podIPs ?? (lk.podIP ? [lk.podIP] : [])).join(',');
    default:
      throw new ContainerConfigError(`unsupported fieldPath: ${path}`);
  }
}

/** key="value" lines sorted by key, as upstream's fieldpath.FormatMap. */
function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/** Values for resourceFieldRef: limits default to node allocatable, cpu rounds up to the divisor. */
export function resourceFieldValue(pod: Pod, containerName: string, ref: { resource: string; divisor?: string | number }, allocatable: EnvLookups['allocatable']): string {
  const c = [...pod.spec.containers, ...(pod.spec.initContainers ?? []), ...(pod.spec.ephemeralContainers ?? [])].find((x) => x.name === containerName);
  if (!c) throw new ContainerConfigError(`container ${containerName} not found`);
  const [kind, res] = ref.resource.split('.', 2) as [string, string];
  if (!res || (kind !== 'limits' && kind !== 'requests')) throw new ContainerConfigError(`unsupported container resource : ${ref.resource}`);
  let raw = (kind === 'limits' ? c.resources?.limits : c.resources?.requests)?.[res];
  if (raw === undefined && kind === 'limits') raw = allocatable[res as keyof typeof allocatable];
  if (raw === undefined && kind === 'requests') raw = c.resources?.limits?.[res] ?? '0';
  if (raw === undefined) throw new ContainerConfigError(`unsupported container resource : ${ref.resource}`);
  const q = parseQuantity(raw);
  const divisor = ref.divisor === undefined || ref.divisor === '0' || ref.divisor === 0 ? parseQuantity(1) : parseQuantity(ref.divisor);
  if (res === 'cpu') return String(Math.ceil(q.milliValue() / divisor.milliValue()));
  return String(Math.ceil(q.value() / divisor.value()));
}

export async function makeEnvironment(pod: Pod, container: Container, lk: EnvLookups): Promise<KV[]> {
  const ns = pod.metadata.namespace ?? 'default';
  const vars = new Map<string, string>();
  const cmCache = new Map<string, KubeObject | undefined>();
  const secCache = new Map<string, KubeObject | undefined>();
  const getCM = async (name: string): Promise<KubeObject | undefined> => {
    if (!cmCache.has(name)) cmCache.set(name, await lk.configMap(ns, name));
    return cmCache.get(name);
  };
  const getSecret = async (name: string): Promise<KubeObject | undefined> => {
    if (!secCache.has(name)) secCache.set(name, await lk.secret(ns, name));
    return secCache.get(name);
  };

  for (const src of container.envFrom ?? []) {
    const prefix = src.prefix ?? '';
    if (src.configMapRef) {
      const name = src.configMapRef.name ?? '';
      const cm = await getCM(name);
      if (!cm) {
        if (src.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${name}" not found`);
      }
      for (const [k, v] of Object.entries(dataOf(cm, false))) vars.set(prefix + k, v);
    } else if (src.secretRef) {
      const name = src.secretRef.name ?? '';
      const s = await getSecret(name);
      if (!s) {
        if (src.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${name}" not found`);
      }
      for (const [k, v] of Object.entries(dataOf(s, true))) vars.set(prefix + k, v);
    }
  }

  for (const e of container.env ?? []) {
    let value: string | undefined;
    const from = e.valueFrom;
    if (!from) {
      value = expand(e.value ?? '', (n) => vars.get(n) ?? lk.serviceEnv?.get(n));
    } else if (from.fieldRef) {
      value = podFieldValue(pod, from.fieldRef.fieldPath, lk);
    } else if (from.resourceFieldRef) {
      value = resourceFieldValue(pod, from.resourceFieldRef.containerName || container.name, from.resourceFieldRef, lk.allocatable);
    } else if (from.configMapKeyRef) {
      const { name = '', key, optional } = from.configMapKeyRef;
      const cm = await getCM(name);
      if (!cm) {
        if (optional) continue;
        throw new ContainerConfigError(`configmap "${name}" not found`);
      }
      value = dataOf(cm, false)[key];
      if (value === undefined) {
        if (optional) continue;
        throw new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${ns}/${name}`);
      }
    } else if (from.secretKeyRef) {
      const { name = '', key, optional } = from.secretKeyRef;
      const s = await getSecret(name);
      if (!s) {
        if (optional) continue;
        throw new ContainerConfigError(`secret "${name}" not found`);
      }
      value = dataOf(s, true)[key];
      if (value === undefined) {
        if (optional) continue;
        throw new ContainerConfigError(`couldn't find key ${key} in Secret ${ns}/${name}`);
      }
    }
    // Re-setting a name moves it to the end, so the final list keeps upstream's order of last definition.
    vars.delete(e.name);
    vars.set(e.name, value ?? '');
  }
  const out = [...vars].map(([name, value]) => ({ name, value }));
  for (const [name, value] of lk.serviceEnv ?? []) if (!vars.has(name)) out.push({ name, value });
  return out;
}
