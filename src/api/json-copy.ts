// Deep copies of API objects as they come from JSON or YAML, shared by the
// validation (which munges copies of specs to compare them) and every patch
// type (which copies the stored object it patches).

/** obj[key] = value, also for "__proto__", which a plain assignment would take as the prototype. */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/**
 * A deep copy, as structuredClone makes it, of a value decoded from JSON or YAML: walking plain objects
 * and arrays costs a fifth of structuredClone's serialise-and-read-back (a whole pod for a kubelet's
 * status write). Anything else (a Date from YAML, a class instance) is left to structuredClone, so the
 * copy is the same; functions and symbols go there too, to fail as structuredClone fails.
 */
export function jsonCopy<T>(v: T): T {
  return copyValue(v) as T;
}

function copyValue(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return typeof v === 'function' || typeof v === 'symbol' ? structuredClone(v) : v;
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (let i = 0; i < v.length; i++) out.push(copyValue(v[i]));
    return out;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const out: Record<string, unknown> = {};
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) setOwn(out, keys[i]!, copyValue((v as Record<string, unknown>)[keys[i]!]));
  return out;
}
