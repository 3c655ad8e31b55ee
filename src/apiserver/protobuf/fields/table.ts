// The one fact the OpenAPI schema lacks for reading protobuf: which field
// number carries which JSON property. Each API package lists its Go structs by
// name; a struct's entry maps field number → JSON property name, transcribed
// from the `protobuf:"…,N,…"` and `json:"…"` tags of upstream's types.go.
//
// Notation, kept terse because PodSpec alone has forty fields:
//   'name'        the property `name`; a zero scalar ("" / 0 / false) is dropped,
//                 as Go's `omitempty` would drop it from JSON.
//   'replicas!'   keep a zero scalar: the Go field is a pointer (present on the
//                 wire only when set, so a zero was sent on purpose) or has no
//                 `omitempty` (Go's JSON always writes it).
//   '...Foo'      an embedded struct inlined into the parent's JSON (Volume's
//                 VolumeSource, Probe's ProbeHandler): decode struct Foo of the
//                 same package and merge its properties into the parent.
// Only properties the served schema knows are listed; a newer upstream field
// is then an unknown field number, refused rather than dropped.

export interface PackageFields {
  /** The OpenAPI definition prefix, e.g. io.k8s.api.core.v1. */
  package: string;
  types: Record<string, Record<number, string>>;
}

export type FieldSpec =
  | { kind: 'property'; name: string; keepZero: boolean }
  | { kind: 'inline'; type: string };

/** A struct's fields by number, keyed by the full definition name. */
export type FieldIndex = ReadonlyMap<string, ReadonlyMap<number, FieldSpec>>;

export function parseFieldSpec(pkg: string, text: string): FieldSpec {
  if (text.startsWith('...')) return { kind: 'inline', type: `${pkg}.${text.slice(3)}` };
  if (text.endsWith('!')) return { kind: 'property', name: text.slice(0, -1), keepZero: true };
  return { kind: 'property', name: text, keepZero: false };
}

export function indexPackages(packages: readonly PackageFields[]): FieldIndex {
  const index = new Map<string, Map<number, FieldSpec>>();
  for (const p of packages) {
    for (const [type, fields] of Object.entries(p.types)) {
      const byNumber = new Map<number, FieldSpec>();
      for (const [n, text] of Object.entries(fields)) byNumber.set(Number(n), parseFieldSpec(p.package, text));
      index.set(`${p.package}.${type}`, byNumber);
    }
  }
  return index;
}
