import { resourceFor } from '../../api/scheme/resources.js';
import type { KubeObject } from '../../api/types.js';
import { Quantity, tryParseQuantity } from '../../api/quantity.js';
import type { AdmissionAttributes, AdmissionContext } from './types.js';
import { admissionForbidden, aggregate, listNamespace } from './types.js';

const limitranges = resourceFor('', 'v1', 'limitranges')!;
const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

type ResourceList = Record<string, string>;

interface LimitItem {
  type?: string;
  max?: ResourceList;
  min?: ResourceList;
  default?: ResourceList;
  defaultRequest?: ResourceList;
  maxLimitRequestRatio?: ResourceList;
}

interface Resources {
  limits?: ResourceList;
  requests?: ResourceList;
}

interface Container {
  name: string;
  resources?: Resources;
}

function q(v: string | undefined): Quantity | undefined {
  if (v === undefined) return undefined;
  const p = tryParseQuantity(v);
  return typeof p === 'string' ? undefined : p;
}

async function limitItems(ctx: AdmissionContext, namespace: string): Promise<LimitItem[]> {
  const items = await listNamespace(ctx, limitranges, namespace);
  return items.flatMap((lr) => ((lr.spec as { limits?: LimitItem[] } | undefined)?.limits ?? []).filter(Boolean));
}

function applies(a: AdmissionAttributes): 'pod' | 'pvc' | undefined {
  if (a.group !== '' || a.subresource) return undefined;
  if (a.resource === 'pods' && a.operation === 'CREATE') return 'pod';
  if (a.resource === 'persistentvolumeclaims' && (a.operation === 'CREATE' || a.operation === 'UPDATE')) return 'pvc';
  return undefined;
}

function containersOf(pod: KubeObject): Container[] {
  const spec = (pod.spec ?? {}) as { containers?: Container[]; initContainers?: Container[] };
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

/**
 * LimitRanger, mutating half: containers without requests or limits get the
 * namespace's Container defaults, and the pod is annotated with what was set.
 */
export async function mutateLimitRanger(a: AdmissionAttributes, obj: KubeObject | undefined, _old: KubeObject | undefined, ctx: AdmissionContext): Promise<void> {
  if (applies(a) !== 'pod' || !obj || !a.namespace) return;
  const items = (await limitItems(ctx, a.namespace)).filter((i) => i.type === 'Container');
  if (!items.length) return;
  const notes: string[] = [];
  for (const c of containersOf(obj)) {
    const res = (c.resources ??= {});
    const setReq: string[] = [];
    const setLim: string[] = [];
    for (const item of items) {
      for (const [k, v] of Object.entries(item.default ?? {})) {
        if (res.limits?.[k] === undefined) {
          (res.limits ??= {})[k] = v;
          setLim.push(k);
        }
      }
      for (const [k, v] of Object.entries(item.defaultRequest ?? {})) {
        if (res.requests?.[k] === undefined) {
          (res.requests ??= {})[k] = v;
          setReq.push(k);
        }
      }
    }
    if (setReq.length) notes.push(`${setReq.join(', ')} request for container ${c.name}`);
    if (setLim.length) notes.push(`${setLim.join(', ')} limit for container ${c.name}`);
  }
  if (notes.length) {
    obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` };
  }
}

function minConstraint(kind: string, name: string, enforced: string, requests: ResourceList, limits: ResourceList): string | undefined {
  const e = q(enforced)!;
  const req = q(requests[name]);
  const lim = q(limits[name]);
  if (req === undefined) return `minimum ${name} usage per ${kind} is ${enforced}.  No request is specified`;
  if (req.cmp(e) < 0) return `minimum ${name} usage per ${kind} is ${enforced}, but request is ${requests[name]}`;
  if (lim !== undefined && lim.cmp(e) < 0) return `minimum ${name} usage per ${kind} is ${enforced}, but limit is ${limits[name]}`;
  return undefined;
}

function maxConstraint(kind: string, name: string, enforced: string, requests: ResourceList, limits: ResourceList): string | undefined {
  const e = q(enforced)!;
  const req = q(requests[name]);
  const lim = q(limits[name]);
  if (lim === undefined) return `maximum ${name} usage per ${kind} is ${enforced}.  No limit is specified`;
  if (lim.cmp(e) > 0) return `maximum ${name} usage per ${kind} is ${enforced}, but limit is ${limits[name]}`;
  if (req !== undefined && req.cmp(e) > 0) return `maximum ${name} usage per ${kind} is ${enforced}, but request is ${requests[name]}`;
  return undefined;
}

function ratioConstraint(kind: string, name: string, enforced: string, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = q(requests[name]);
  const lim = q(limits[name]);
  if (req === undefined || lim === undefined) return `${name} max limit to request ratio per ${kind} is ${enforced}, but no request is specified or request is 0`;
  const r = req.milliValue();
  if (r === 0) return `${name} max limit to request ratio per ${kind} is ${enforced}, but no request is specified or request is 0`;
  const ratio = lim.milliValue() / r;
  if (ratio > q(enforced)!.value()) return `${name} max limit to request ratio per ${kind} is ${enforced}, but provided ratio is ${ratio.toFixed(6)}`;
  return undefined;
}

function check(kind: string, item: LimitItem, requests: ResourceList, limits: ResourceList, errs: string[]): void {
  for (const [k, v] of Object.entries(item.min ?? {})) {
    const e = minConstraint(kind, k, v, requests, limits);
    if (e) errs.push(e);
  }
  for (const [k, v] of Object.entries(item.max ?? {})) {
    const e = maxConstraint(kind, k, v, requests, limits);
    if (e) errs.push(e);
  }
  for (const [k, v] of Object.entries(item.maxLimitRequestRatio ?? {})) {
    const e = ratioConstraint(kind, k, v, requests, limits);
    if (e) errs.push(e);
  }
}

function sum(lists: (ResourceList | undefined)[], complete: boolean): ResourceList {
  const out: Record<string, Quantity> = {};
  const keys = new Set(lists.flatMap((l) => Object.keys(l ?? {})));
  for (const k of keys) {
    // A pod-level total exists only when every container states the value.
    if (complete && lists.some((l) => l?.[k] === undefined)) continue;
    for (const l of lists) {
      const v = q(l?.[k]);
      if (v) out[k] = out[k] ? out[k]!.add(v) : v;
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.toString()]));
}

/** LimitRanger, validating half: min, max and limit/request ratio per Container, Pod and PersistentVolumeClaim. */
export async function validateLimitRanger(a: AdmissionAttributes, obj: KubeObject | undefined, _old: KubeObject | undefined, ctx: AdmissionContext): Promise<void> {
  const what = applies(a);
  if (!what || !obj || !a.namespace) return;
  const items = await limitItems(ctx, a.namespace);
  if (!items.length) return;
  const errs: string[] = [];
  if (what === 'pod') {
    const containers = containersOf(obj);
    for (const item of items) {
      if (item.type === 'Container') {
        for (const c of containers) check('Container', item, c.resources?.requests ?? {}, c.resources?.limits ?? {}, errs);
      } else if (item.type === 'Pod') {
        const app = ((obj.spec ?? {}) as { containers?: Container[] }).containers ?? [];
        check('Pod', item, sum(app.map((c) => c.resources?.requests), false), sum(app.map((c) => c.resources?.limits), true), errs);
      }
    }
  } else {
    const res = ((obj.spec ?? {}) as { resources?: Resources }).resources ?? {};
    const requests = res.requests ?? {};
    for (const item of items) {
      if (item.type !== 'PersistentVolumeClaim') continue;
      for (const [k, v] of Object.entries(item.min ?? {})) {
        const e = minConstraint('PersistentVolumeClaim', k, v, requests, {});
        if (e) errs.push(e);
      }
      for (const [k, v] of Object.entries(item.max ?? {})) {
        const req = q(requests[k]);
        if (req === undefined) errs.push(`maximum ${k} usage per PersistentVolumeClaim is ${v}.  No request is specified`);
        else if (req.cmp(q(v)!) > 0) errs.push(`maximum ${k} usage per PersistentVolumeClaim is ${v}, but request is ${requests[k]}`);
      }
    }
  }
  if (errs.length) throw admissionForbidden(a, aggregate(errs));
}
