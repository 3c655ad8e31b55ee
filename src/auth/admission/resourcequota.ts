import { RESOURCES, resourceFor, type ResourceInfo } from '../../api/scheme/resources.js';
import { StatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { Quantity, tryParseQuantity } from '../../api/quantity.js';
import type { Registry } from '../../apiserver/handlers/context.js';
import type { AdmissionAttributes, AdmissionContext } from './types.js';
import { admissionForbidden, listNamespace } from './types.js';

const resourcequotas = resourceFor('', 'v1', 'resourcequotas')!;
type Usage = Map<string, Quantity>;
type Obj = Record<string, any>;

const ONE = (): Quantity => tryParseQuantity('1') as Quantity;
const COMPUTE = ['cpu', 'memory', 'ephemeral-storage'];

function q(v: unknown): Quantity | undefined {
  const p = tryParseQuantity(v);
  return typeof p === 'string' ? undefined : p;
}

function add(u: Usage, k: string, v: Quantity | undefined): void {
  if (!v) return;
  const cur = u.get(k);
  u.set(k, cur ? cur.add(v) : v);
}

function infoFor(group: string, resource: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.resource === resource);
}

/** Effective pod requests/limits as the scheduler sees them: max(sum of containers, largest init container). */
function podCompute(pod: KubeObject, which: 'requests' | 'limits'): Map<string, Quantity> {
  const spec = (pod.spec ?? {}) as Obj;
  const out = new Map<string, Quantity>();
  for (const c of spec.containers ?? []) for (const [k, v] of Object.entries((c?.resources?.[which] ?? {}) as Record<string, string>)) add(out, k, q(v));
  for (const c of spec.initContainers ?? []) {
    for (const [k, v] of Object.entries((c?.resources?.[which] ?? {}) as Record<string, string>)) {
      const x = q(v);
      if (x && (!out.has(k) || out.get(k)!.cmp(x) < 0)) out.set(k, x);
    }
  }
  return out;
}

function terminal(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** What one object counts against a quota, keyed by quota resource name. */
export function usageOf(info: { group: string; resource: string }, obj: KubeObject | undefined): Usage {
  const u: Usage = new Map();
  if (!obj) return u;
  const group = info.group;
  const resource = info.resource;
  if (group === '' && resource === 'pods' && terminal(obj)) return u;
  add(u, `count/${group ? `${resource}.${group}` : resource}`, ONE());
  if (group !== '') return u;
  switch (resource) {
    case 'pods': {
      add(u, 'pods', ONE());
      const req = podCompute(obj, 'requests');
      const lim = podCompute(obj, 'limits');
      for (const k of COMPUTE) {
        add(u, `requests.${k}`, req.get(k));
        if (k !== 'ephemeral-storage') add(u, k, req.get(k));
        add(u, `limits.${k}`, lim.get(k));
      }
      break;
    }
    case 'services': {
      add(u, 'services', ONE());
      const spec = (obj.spec ?? {}) as Obj;
      if (spec.type === 'LoadBalancer') add(u, 'services.loadbalancers', ONE());
      if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') for (let i = 0; i < (spec.ports ?? []).length; i++) add(u, 'services.nodeports', ONE());
      break;
    }
    case 'persistentvolumeclaims':
      add(u, 'persistentvolumeclaims', ONE());
      add(u, 'requests.storage', q(((obj.spec ?? {}) as Obj).resources?.requests?.storage));
      break;
    case 'secrets':
    case 'configmaps':
    case 'replicationcontrollers':
    case 'resourcequotas':
      add(u, resource, ONE());
      break;
  }
  return u;
}

/** Which resource a quota key is counted from. */
function sourceOf(key: string): { group: string; resource: string } | undefined {
  if (key.startsWith('count/')) {
    const gr = key.slice(6);
    const dot = gr.indexOf('.');
    return dot < 0 ? { group: '', resource: gr } : { group: gr.slice(dot + 1), resource: gr.slice(0, dot) };
  }
  if (key === 'pods' || COMPUTE.includes(key) || /^(requests|limits)\.(cpu|memory|ephemeral-storage)$/.test(key)) return { group: '', resource: 'pods' };
  if (key.startsWith('services')) return { group: '', resource: 'services' };
  if (key === 'persistentvolumeclaims' || key === 'requests.storage') return { group: '', resource: 'persistentvolumeclaims' };
  if (['secrets', 'configmaps', 'replicationcontrollers', 'resourcequotas'].includes(key)) return { group: '', resource: key };
  return undefined;
}

/** Counts a namespace's current usage of the given quota keys from the objects themselves. */
export async function computeUsage(registry: Registry, namespace: string, keys: Iterable<string>): Promise<Usage> {
  const out: Usage = new Map();
  const byResource = new Map<string, { info: ResourceInfo; keys: string[] }>();
  for (const k of keys) {
    out.set(k, Quantity.zero());
    const src = sourceOf(k);
    const info = src && infoFor(src.group, src.resource);
    if (!info || !info.namespaced) continue;
    const e = byResource.get(info.resource + '.' + info.group) ?? { info, keys: [] };
    e.keys.push(k);
    byResource.set(info.resource + '.' + info.group, e);
  }
  for (const { info, keys: ks } of byResource.values()) {
    for (const o of (await registry.storeFor(info).list({ namespace })).items) {
      const u = usageOf(info, o);
      for (const k of ks) add(out, k, u.get(k));
    }
  }
  return out;
}

function pretty(m: Map<string, Quantity>): string {
  return [...m.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v.toString()}`)
    .join(',');
}

/** Compute resources a quota limits must be stated by every container, or the quota cannot account for the pod. */
function missingCompute(obj: KubeObject, hard: Record<string, string>): string[] {
  const out: string[] = [];
  const spec = (obj.spec ?? {}) as Obj;
  const containers: Obj[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  for (const key of Object.keys(hard).sort()) {
    const m = /^(?:(requests|limits)\.)?(cpu|memory|ephemeral-storage)$/.exec(key);
    if (!m || (!m[1] && m[2] === 'ephemeral-storage')) continue;
    const which = m[1] ?? 'requests';
    const bad = containers.filter((c) => c?.resources?.[which]?.[m[2]!] === undefined).map((c) => c?.name as string);
    if (bad.length) out.push(`${key} for: ${bad.join(',')}`);
  }
  return out;
}

/**
 * ResourceQuota admission: a create (or an update that grows usage) is
 * refused when it would take any quota of the namespace over its hard limit;
 * otherwise the quotas' status.used is charged at once, as upstream does, so
 * concurrent creates cannot all squeeze under the same limit.
 */
export async function validateResourceQuota(a: AdmissionAttributes, obj: KubeObject | undefined, old: KubeObject | undefined, ctx: AdmissionContext): Promise<void> {
  if ((a.operation !== 'CREATE' && a.operation !== 'UPDATE') || !a.namespace || a.subresource || !obj) return;
  const store = ctx.registry.storeFor(resourcequotas);
  const quotas = await listNamespace(ctx, resourcequotas, a.namespace);
  if (!quotas.length) return;
  const delta = usageOf(a, obj);
  if (a.operation === 'UPDATE') {
    for (const [k, v] of usageOf(a, old)) if (delta.has(k)) delta.set(k, delta.get(k)!.sub(v));
  }
  for (const [k, v] of [...delta]) if (v.sign() <= 0) delta.delete(k);
  if (!delta.size) return;

  const charges: { name: string; used: Map<string, Quantity>; hard: Record<string, string> }[] = [];
  for (const quota of quotas) {
    const hard = ((quota.spec as { hard?: Record<string, string> } | undefined)?.hard ?? {}) as Record<string, string>;
    const keys = Object.keys(hard).filter((k) => delta.has(k));
    if (a.operation === 'CREATE' && a.group === '' && a.resource === 'pods') {
      const missing = missingCompute(obj, hard);
      if (missing.length) throw admissionForbidden(a, `failed quota: ${quota.metadata.name}: must specify ${missing.join('; ')}`);
    }
    if (!keys.length) continue;
    const statusUsed = ((quota.status as { used?: Record<string, string> } | undefined)?.used ?? {}) as Record<string, string>;
    const unknown = keys.filter((k) => q(statusUsed[k]) === undefined);
    const counted = unknown.length ? await computeUsage(ctx.registry, a.namespace, unknown) : new Map<string, Quantity>();
    const requested = new Map<string, Quantity>();
    const used = new Map<string, Quantity>();
    const limited = new Map<string, Quantity>();
    for (const k of keys) {
      const u = q(statusUsed[k]) ?? counted.get(k) ?? Quantity.zero();
      const h = q(hard[k]);
      if (h && u.add(delta.get(k)!).cmp(h) > 0) {
        requested.set(k, delta.get(k)!);
        used.set(k, u);
        limited.set(k, h);
      }
    }
    if (requested.size) {
      throw admissionForbidden(a, `exceeded quota: ${quota.metadata.name}, requested: ${pretty(requested)}, used: ${pretty(used)}, limited: ${pretty(limited)}`);
    }
    charges.push({ name: quota.metadata.name!, used: new Map(keys.map((k) => [k, counted.get(k) ?? q(statusUsed[k]) ?? Quantity.zero()])), hard });
  }
  if (a.dryRun) return;
  for (const c of charges) {
    try {
      await store.update(
        a.namespace,
        c.name,
        (cur) => {
          const status = ((cur.status ??= {}) as { hard?: Record<string, string>; used?: Record<string, string> });
          const hard = ((cur.spec as { hard?: Record<string, string> } | undefined)?.hard ?? {}) as Record<string, string>;
          status.hard = { ...hard };
          const used = { ...(status.used ?? {}) };
          // Checked again on the stored quota: a concurrent create charged since it was read must count.
          const requested = new Map<string, Quantity>();
          const was = new Map<string, Quantity>();
          const limited = new Map<string, Quantity>();
          for (const [k, base] of c.used) {
            const now = q(used[k]) ?? base;
            const h = q(hard[k]);
            if (h && now.add(delta.get(k)!).cmp(h) > 0) {
              requested.set(k, delta.get(k)!);
              was.set(k, now);
              limited.set(k, h);
            }
            used[k] = now.add(delta.get(k)!).toString();
          }
          if (requested.size) throw admissionForbidden(a, `exceeded quota: ${c.name}, requested: ${pretty(requested)}, used: ${pretty(was)}, limited: ${pretty(limited)}`);
          status.used = used;
          // No resourceVersion: a concurrent charge makes the store retry on fresh state instead of failing.
          delete cur.metadata.resourceVersion;
          return cur;
        },
        { subresource: 'status' },
      );
    } catch (err) {
      // A quota deleted meanwhile no longer limits anything.
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
  }
}
