// Printers read loosely typed JSON objects; these accessors turn whatever is
// there into the value a Go printer would see after decoding into a struct
// (absent string → "", absent int → 0, absent list → empty).

export type Json = Record<string, unknown>;

export function rec(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function recs(v: unknown): Json[] {
  return arr(v).map(rec);
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function int(v: unknown, dflt = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : dflt;
}

export function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(rec(v))) out[k] = str(val);
  return out;
}

export function countKeys(v: unknown): number {
  return Object.keys(rec(v)).length;
}

/** Follows a path of keys through nested objects. */
export function at(v: unknown, ...path: string[]): unknown {
  let cur: unknown = v;
  for (const k of path) cur = rec(cur)[k];
  return cur;
}
