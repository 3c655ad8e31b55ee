// JSON values compared the way upstream compares Go structs semantically:
// a missing field, null, an empty list and an empty object are all the
// zero value, so `resources: {}` from one client equals its absence from
// another.

export function semanticNormalize(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map((x) => semanticNormalize(x) ?? null);
  if (typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v as Record<string, unknown>).sort()) {
    const n = semanticNormalize((v as Record<string, unknown>)[k]);
    if (n !== undefined) out[k] = n;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/** One string per semantically equal value: normalized, keys sorted. */
export function semanticKey(v: unknown): string {
  return JSON.stringify(semanticNormalize(v) ?? null);
}

export function semanticEqual(a: unknown, b: unknown): boolean {
  return semanticKey(a) === semanticKey(b);
}
