// Field paths and sets of them, as structured-merge-diff defines them, with
// their two spellings: the fieldsV1 trie stored in metadata.managedFields
// ({"f:spec":{"f:replicas":{}}}) and the path text of conflict messages
// (.spec.template.spec.containers[name="nginx"].image).
//
// A path is a list of elements, each kept as its fieldsV1 token:
//   f:<field>   a field of a struct or a key of a map
//   k:<json>    an item of a list keyed by some of its fields ({"name":"x"})
//   v:<json>    an item of a set (a list of scalars)
//   i:<n>       an item of a list by position (never produced for our schemas)

import { isObject, setOwn } from '../json-value.js';

export type PathElement = string;
export type Path = readonly PathElement[];

const SEP = '\n'; // never inside a token: JSON escapes newlines

/** Metadata fields no manager ever owns (with apiVersion, kind and metadata itself). */
export const UNOWNED_METADATA = ['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'];

export function fieldElement(name: string): PathElement {
  return `f:${name}`;
}

/** A keyed list item's element from its (already present or defaulted) key fields, sorted by name as upstream does. */
export function keyElement(fields: [string, unknown][]): PathElement {
  const sorted = [...fields].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const obj: Record<string, unknown> = {};
  for (const [k, v] of sorted) obj[k] = v;
  return `k:${JSON.stringify(obj)}`;
}

export function valueElement(v: unknown): PathElement {
  return `v:${JSON.stringify(v)}`;
}

/** Go's value.ToString: strings quoted, everything else as JSON. */
function valueText(v: unknown): string {
  return JSON.stringify(v);
}

/** One element as conflict messages print it. */
export function elementText(pe: PathElement): string {
  const body = pe.slice(2);
  switch (pe[0]) {
    case 'f':
      return `.${body}`;
    case 'k': {
      const fields = JSON.parse(body) as Record<string, unknown>;
      return `[${Object.entries(fields)
        .map(([k, v]) => `${k}=${valueText(v)}`)
        .join(',')}]`;
    }
    case 'v':
      return `[=${valueText(JSON.parse(body))}]`;
    default:
      return `[${body}]`;
  }
}

export function pathText(p: Path): string {
  return p.map(elementText).join('');
}

const KIND_RANK: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

function compareValues(a: unknown, b: unknown): number {
  const rank = (v: unknown): number => (v === null ? 0 : typeof v === 'boolean' ? 1 : typeof v === 'number' ? 2 : typeof v === 'string' ? 3 : 4);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = typeof a === 'string' ? a : JSON.stringify(a);
  const sb = typeof b === 'string' ? b : JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** structured-merge-diff's element order: fields, then keys, then values, then indices. */
export function compareElements(a: PathElement, b: PathElement): number {
  // Two fields, by far the most common pair: their common "f:" prefix leaves the order of their names.
  if (a.charCodeAt(0) === 102 && b.charCodeAt(0) === 102) return a < b ? -1 : a > b ? 1 : 0;
  const ka = KIND_RANK[a[0]!] ?? 4;
  const kb = KIND_RANK[b[0]!] ?? 4;
  if (ka !== kb) return ka - kb;
  const ba = a.slice(2);
  const bb = b.slice(2);
  switch (a[0]) {
    case 'f':
      return ba < bb ? -1 : ba > bb ? 1 : 0;
    case 'k': {
      const fa = Object.entries(JSON.parse(ba) as Record<string, unknown>);
      const fb = Object.entries(JSON.parse(bb) as Record<string, unknown>);
      for (let i = 0; ; i++) {
        if (i >= fa.length || i >= fb.length) return fa.length - fb.length;
        const [na, va] = fa[i]!;
        const [nb, vb] = fb[i]!;
        if (na !== nb) return na < nb ? -1 : 1;
        const c = compareValues(va, vb);
        if (c !== 0) return c;
      }
    }
    case 'v':
      return compareValues(JSON.parse(ba), JSON.parse(bb));
    default:
      return Number(ba) - Number(bb);
  }
}

/** A set of paths. Set algebra on the trie upstream keeps is set algebra on its paths, so a flat set does. */
export class FieldSet {
  private readonly paths = new Map<string, Path>();
  private prefixes: Set<string> | undefined;

  static of(paths: Iterable<Path>): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(p: Path): void {
    if (p.length === 0) return;
    this.paths.set(p.join(SEP), [...p]);
    this.prefixes = undefined;
  }

  has(p: Path): boolean {
    return this.paths.has(p.join(SEP));
  }

  /** Some member lies strictly below p. */
  hasBelow(p: Path): boolean {
    if (!this.prefixes) {
      this.prefixes = new Set();
      for (const path of this.paths.values()) {
        for (let i = 1; i < path.length; i++) this.prefixes.add(path.slice(0, i).join(SEP));
      }
    }
    return this.prefixes.has(p.join(SEP));
  }

  get size(): number {
    return this.paths.size;
  }

  isEmpty(): boolean {
    return this.paths.size === 0;
  }

  *[Symbol.iterator](): IterableIterator<Path> {
    yield* this.paths.values();
  }

  // The set algebra below shares member arrays between sets (a Path is
  // readonly) and reuses their keys: every write's managedFields runs
  // several of these over every field of the object.
  private static ofEntries(entries: Iterable<[string, Path]>): FieldSet {
    const s = new FieldSet();
    for (const [k, p] of entries) s.paths.set(k, p);
    return s;
  }

  union(other: FieldSet): FieldSet {
    const s = FieldSet.ofEntries(this.paths);
    for (const [k, p] of other.paths) s.paths.set(k, p);
    return s;
  }

  difference(other: FieldSet): FieldSet {
    const s = new FieldSet();
    for (const [k, p] of this.paths) if (!other.paths.has(k)) s.paths.set(k, p);
    return s;
  }

  intersection(other: FieldSet): FieldSet {
    const s = new FieldSet();
    for (const [k, p] of this.paths) if (other.paths.has(k)) s.paths.set(k, p);
    return s;
  }

  /** Without every member equal to or below a member of other. */
  recursiveDifference(other: FieldSet): FieldSet {
    const s = new FieldSet();
    if (other.paths.size === 0) return FieldSet.ofEntries(this.paths);
    // No prefix longer than other's longest member can be one of them: the usual
    // other (a reset field, status or spec) takes one look-up of a member's first element.
    let depth = 0;
    for (const p of other.paths.values()) if (p.length > depth) depth = p.length;
    for (const [k, p] of this.paths) {
      let prefix = p[0]!;
      let covered = other.paths.has(prefix);
      const n = Math.min(p.length, depth);
      for (let i = 1; i < n && !covered; i++) {
        prefix = prefix + SEP + p[i]!;
        covered = other.paths.has(prefix);
      }
      if (!covered) s.paths.set(k, p);
    }
    return s;
  }

  /** Members in upstream's iteration order: a level's members before its children, each sorted. */
  sorted(): Path[] {
    const all = [...this];
    const cmp = (a: Path, b: Path): number => {
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        // A level lists its members before descending into its children.
        const aEnds = i === a.length - 1;
        const bEnds = i === b.length - 1;
        if (aEnds !== bEnds) return aEnds ? -1 : 1;
        const c = compareElements(a[i]!, b[i]!);
        if (c !== 0) return c;
      }
      return a.length - b.length;
    };
    return all.sort(cmp);
  }

  /** The fieldsV1 trie: {} for a leaf member, "." for a member that also has members below. */
  toFieldsV1(): Record<string, unknown> {
    type Node = { self: boolean; children: Map<PathElement, Node> };
    const root: Node = { self: false, children: new Map() };
    for (const p of this) {
      let n = root;
      for (const pe of p) {
        let c = n.children.get(pe);
        if (!c) n.children.set(pe, (c = { self: false, children: new Map() }));
        n = c;
      }
      n.self = true;
    }
    const emit = (n: Node): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      if (n.self && n.children.size > 0) out['.'] = {};
      for (const pe of [...n.children.keys()].sort(compareElements)) {
        setOwn(out, pe, emit(n.children.get(pe)!));
      }
      return out;
    };
    const out: Record<string, unknown> = {};
    for (const pe of [...root.children.keys()].sort(compareElements)) {
      setOwn(out, pe, emit(root.children.get(pe)!));
    }
    return out;
  }

  /** Parses a fieldsV1 trie; throws Error on anything malformed. */
  static fromFieldsV1(fields: unknown): FieldSet {
    const s = new FieldSet();
    const walk = (node: unknown, prefix: PathElement[]): void => {
      if (!isObject(node)) throw new Error(`expected an object in fieldsV1 at ${pathText(prefix)}`);
      const keys = Object.keys(node);
      if (keys.length === 0 && prefix.length > 0) s.insert(prefix);
      for (const k of keys) {
        if (k === '.') {
          if (prefix.length > 0) s.insert(prefix);
          continue;
        }
        if (!/^[fkvi]:/.test(k)) throw new Error(`unknown path element ${JSON.stringify(k)}`);
        if (k[0] === 'k' || k[0] === 'v') JSON.parse(k.slice(2));
        walk(node[k], [...prefix, k]);
      }
    };
    walk(fields ?? {}, []);
    return s;
  }
}
