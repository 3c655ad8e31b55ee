// Container resource requirements: names, quantities and requests <= limits.

import { tryParseQuantity, type Quantity } from '../../quantity.js';
import { child, forbidden, invalid, key, required, type FieldError } from '../field.js';
import { isQualifiedName } from '../names.js';
import { asRecord } from '../util.js';

const STANDARD_CONTAINER = new Set(['cpu', 'memory', 'ephemeral-storage']);
const STANDARD_RESOURCES = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'storage', 'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets',
  'configmaps', 'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers', 'requests.cpu', 'requests.memory',
  'requests.storage', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage',
]);

export function isHugePageResource(name: string): boolean {
  return name.startsWith('hugepages-');
}

export function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

function isExtendedResourceName(name: string): boolean {
  if (isNativeResource(name) || name.startsWith('requests.')) return false;
  return isQualifiedName('requests.' + name).length === 0;
}

/** Native resources (except hugepages) may be requested below their limit. */
export function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePageResource(name);
}

/** Resources whose quantities must be whole numbers. */
export function isIntegerResource(name: string): boolean {
  return isExtendedResourceName(name) || name.startsWith('count/') || ['pods', 'services', 'secrets', 'configmaps'].includes(name);
}

export function validateResourceName(name: string, field: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(field, name, m));
  if (errs.length) return errs;
  if (!name.includes('/') && !STANDARD_RESOURCES.has(name) && !isHugePageResource(name)) {
    errs.push(invalid(field, name, 'must be a standard resource type or fully qualified'));
  }
  return errs;
}

function validateContainerResourceName(name: string, field: string): FieldError[] {
  const errs = validateResourceName(name, field);
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER.has(name) && !isHugePageResource(name)) errs.push(invalid(field, name, 'must be a standard resource for containers'));
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    errs.push(invalid(field, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** Parse a quantity field, reporting a malformed one as upstream's decoder words it. */
export function quantityAt(raw: unknown, field: string, errs: FieldError[]): Quantity | undefined {
  const q = tryParseQuantity(raw);
  if (typeof q === 'string') {
    errs.push(invalid(field, typeof raw === 'string' ? raw : String(raw), q));
    return undefined;
  }
  return q;
}

export function validateResourceQuantityValue(name: string, q: Quantity, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (q.sign() < 0) errs.push(invalid(field, q.toString(), 'must be greater than or equal to 0'));
  if (isIntegerResource(name) && q.milliValue() % 1000 !== 0) errs.push(invalid(field, q.toString(), 'must be an integer'));
  return errs;
}

function parsedList(raw: unknown, field: string, errs: FieldError[]): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  for (const [name, v] of Object.entries(asRecord(raw) ?? {})) {
    const q = quantityAt(v, key(field, name), errs);
    if (q) out.set(name, q);
  }
  return out;
}

export function validateContainerResources(res: unknown, field: string): FieldError[] {
  const r = asRecord(res) ?? {};
  const errs: FieldError[] = [];
  const limPath = child(field, 'limits');
  const reqPath = child(field, 'requests');
  const limits = parsedList(r.limits, limPath, errs);
  const requests = parsedList(r.requests, reqPath, errs);
  let limitsHugePages = false;
  let limitsCpuOrMemory = false;
  for (const [name, q] of limits) {
    const p = key(limPath, name);
    errs.push(...validateContainerResourceName(name, p), ...validateResourceQuantityValue(name, q, p));
    if (isHugePageResource(name)) limitsHugePages = true;
    if (name === 'cpu' || name === 'memory') limitsCpuOrMemory = true;
  }
  let requestsHugePages = false;
  let requestsCpuOrMemory = false;
  for (const [name, q] of requests) {
    const p = key(reqPath, name);
    errs.push(...validateContainerResourceName(name, p), ...validateResourceQuantityValue(name, q, p));
    const limit = limits.get(name);
    if (limit) {
      if (q.cmp(limit) !== 0 && !isOvercommitAllowed(name)) {
        errs.push(invalid(reqPath, q.toString(), `must be equal to ${name} limit of ${limit.toString()}`));
      } else if (q.cmp(limit) > 0) {
        errs.push(invalid(reqPath, q.toString(), `must be less than or equal to ${name} limit of ${limit.toString()}`));
      }
    } else if (!isOvercommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
    if (isHugePageResource(name)) requestsHugePages = true;
    if (name === 'cpu' || name === 'memory') requestsCpuOrMemory = true;
  }
  if ((limitsHugePages || requestsHugePages) && !limitsCpuOrMemory && !requestsCpuOrMemory) {
    errs.push(forbidden(field, 'HugePages require cpu or memory'));
  }
  return errs;
}
