// Helpers for defaulting plain JSON objects in place.

import { tryParseQuantity } from '../quantity.js';

export type Obj = Record<string, unknown>;

export function rec(v: unknown): Obj | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

/** The object at parent[key], created when absent. */
export function ensure(parent: Obj, key: string): Obj {
  const cur = rec(parent[key]);
  if (cur) return cur;
  const fresh: Obj = {};
  parent[key] = fresh;
  return fresh;
}

export function list(v: unknown): Obj[] {
  return Array.isArray(v) ? v.map((x) => rec(x)).filter((x): x is Obj => !!x) : [];
}

export function unset(v: unknown): boolean {
  return v === undefined || v === null;
}

export function setIfUnset(o: Obj, key: string, value: unknown): void {
  if (unset(o[key])) o[key] = value;
}

export function setIfEmpty(o: Obj, key: string, value: unknown): void {
  if (unset(o[key]) || o[key] === '') o[key] = value;
}

/**
 * SetDefaults_ResourceList rounds up to milli precision; decoding then
 * re-encoding prints the canonical form ("0.5" -> "500m"). Malformed values
 * are left for validation to report.
 */
export function canonicalizeResourceList(v: unknown): void {
  const r = rec(v);
  if (!r) return;
  for (const [k, raw] of Object.entries(r)) {
    const q = tryParseQuantity(raw);
    if (typeof q !== 'string') r[k] = q.roundUp(-3).toString();
  }
}
