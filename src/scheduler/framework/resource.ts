import { parseQuantity } from '../../api/quantity.js';
import type { Pod, Container } from './types.js';

// Resource amounts as plain numbers (milli-CPU, bytes, counts), as upstream's
// framework.Resource: parsed once per pod and per node, then compared with
// integer arithmetic in the hot loop.

/** Requests assumed for a container that sets none, so best-effort pods still spread (upstream's non-zero defaults). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

const quantityCache = new Map<string, { value: number; milli: number }>();

function parsed(q: string | number): { value: number; milli: number } {
  const k = String(q);
  let v = quantityCache.get(k);
  if (!v) {
    const p = parseQuantity(q);
    v = { value: p.value(), milli: p.milliValue() };
    // The set of distinct quantity strings in a cluster is small; bound it anyway.
    if (quantityCache.size > 10_000) quantityCache.clear();
    quantityCache.set(k, v);
  }
  return v;
}

export function quantityValue(q: string | number | undefined): number {
  return q === undefined ? 0 : parsed(q).value;
}

export function quantityMilli(q: string | number | undefined): number {
  return q === undefined ? 0 : parsed(q).milli;
}

export class Resource {
  milliCPU = 0;
  memory = 0;
  ephemeralStorage = 0;
  allowedPodNumber = 0;
  /** Extended and hugepages resources by name. */
  scalar?: Map<string, number>;

  static fromList(list: Record<string, string | number> | undefined): Resource {
    const r = new Resource();
    if (list) r.add(list);
    return r;
  }

  add(list: Record<string, string | number>): void {
    for (const name in list) {
      const q = list[name]!;
      switch (name) {
        case 'cpu':
          this.milliCPU += quantityMilli(q);
          break;
        case 'memory':
          this.memory += quantityValue(q);
          break;
        case 'ephemeral-storage':
          this.ephemeralStorage += quantityValue(q);
          break;
        case 'pods':
          this.allowedPodNumber += quantityValue(q);
          break;
        default:
          if (isScalarResourceName(name)) this.addScalar(name, quantityValue(q));
      }
    }
  }

  addScalar(name: string, v: number): void {
    this.scalar ??= new Map();
    this.scalar.set(name, (this.scalar.get(name) ?? 0) + v);
  }

  /** Raise each dimension to at least the list's value (init containers run one at a time). */
  setMax(list: Record<string, string | number>): void {
    for (const name in list) {
      const q = list[name]!;
      switch (name) {
        case 'cpu':
          this.milliCPU = Math.max(this.milliCPU, quantityMilli(q));
          break;
        case 'memory':
          this.memory = Math.max(this.memory, quantityValue(q));
          break;
        case 'ephemeral-storage':
          this.ephemeralStorage = Math.max(this.ephemeralStorage, quantityValue(q));
          break;
        default:
          if (isScalarResourceName(name)) {
            this.scalar ??= new Map();
            this.scalar.set(name, Math.max(this.scalar.get(name) ?? 0, quantityValue(q)));
          }
      }
    }
  }

  plus(o: Resource, sign = 1): void {
    this.milliCPU += sign * o.milliCPU;
    this.memory += sign * o.memory;
    this.ephemeralStorage += sign * o.ephemeralStorage;
    this.allowedPodNumber += sign * o.allowedPodNumber;
    if (o.scalar) for (const [k, v] of o.scalar) this.addScalar(k, sign * v);
  }

  clone(): Resource {
    const r = new Resource();
    r.milliCPU = this.milliCPU;
    r.memory = this.memory;
    r.ephemeralStorage = this.ephemeralStorage;
    r.allowedPodNumber = this.allowedPodNumber;
    if (this.scalar) r.scalar = new Map(this.scalar);
    return r;
  }

  isZero(): boolean {
    return this.milliCPU === 0 && this.memory === 0 && this.ephemeralStorage === 0 && (!this.scalar || this.scalar.size === 0);
  }

  get(name: string): number {
    switch (name) {
      case 'cpu':
        return this.milliCPU;
      case 'memory':
        return this.memory;
      case 'ephemeral-storage':
        return this.ephemeralStorage;
      case 'pods':
        return this.allowedPodNumber;
      default:
        return this.scalar?.get(name) ?? 0;
    }
  }
}

/** Extended (domain/name, not kubernetes.io), hugepages-* and attachable-volumes-* resources. */
export function isScalarResourceName(name: string): boolean {
  if (name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')) return true;
  if (!name.includes('/')) return false;
  const domain = name.slice(0, name.indexOf('/'));
  return !(domain === 'kubernetes.io' || domain.endsWith('.kubernetes.io')) && !name.startsWith('requests.');
}

function isRestartableInit(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

/**
 * The pod's effective requests: containers summed, each init container run
 * alone (plus the sidecars started before it), the larger of the two, plus
 * overhead. `nonZero` substitutes the defaults for unset cpu/memory, as
 * scoring does.
 */
export function podRequests(pod: Pod, nonZero = false): Resource {
  const sum = new Resource();
  const containerReq = (c: Container): Record<string, string | number> => {
    const req = c.resources?.requests ?? {};
    if (!nonZero) return req;
    const out: Record<string, string | number> = { ...req };
    if (out.cpu === undefined) out.cpu = `${DEFAULT_MILLI_CPU_REQUEST}m`;
    if (out.memory === undefined) out.memory = DEFAULT_MEMORY_REQUEST;
    return out;
  };
  for (const c of pod.spec.containers ?? []) sum.add(containerReq(c));
  const sidecars = new Resource();
  for (const c of pod.spec.initContainers ?? []) {
    const req = containerReq(c);
    if (isRestartableInit(c)) {
      sum.add(req);
      sidecars.add(req);
      continue;
    }
    const peak = sidecars.clone();
    peak.add(req);
    sum.milliCPU = Math.max(sum.milliCPU, peak.milliCPU);
    sum.memory = Math.max(sum.memory, peak.memory);
    sum.ephemeralStorage = Math.max(sum.ephemeralStorage, peak.ephemeralStorage);
    if (peak.scalar) {
      sum.scalar ??= new Map();
      for (const [k, v] of peak.scalar) sum.scalar.set(k, Math.max(sum.scalar.get(k) ?? 0, v));
    }
  }
  if (pod.spec.overhead) sum.add(pod.spec.overhead);
  return sum;
}
