// What changed between two versions of an object (upstream's
// TypedValue.Compare), as three sets of fields: added, modified and removed.
// A granular map or a list item that appears or disappears as a whole counts
// itself too, except fields upstream's Go types always carry: struct-typed
// fields (an absent `spec` is an empty one there) and required lists or maps
// (no omitempty: an absent `containers` is a null one).

import type { SchemaNode } from '../../../api/schema/types.js';
import { deepEqual, hasOwn, isObject } from '../json-value.js';
import { FieldSet, fieldElement, type PathElement } from './fieldpath.js';
import { atomOf, childNode, isDeclaredField, itemElement, type Atom } from './typed-schema.js';

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

export function isEmptyContainer(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isObject(v) && Object.keys(v).length === 0;
}

/** Items of a list by path element, in first-seen order. */
function indexItems(atom: Extract<Atom, { kind: 'list' }>, list: unknown): Map<PathElement, unknown[]> {
  const out = new Map<PathElement, unknown[]>();
  if (!Array.isArray(list)) return out;
  for (const item of list) {
    const pe = itemElement(atom, item);
    const seen = out.get(pe);
    if (seen) seen.push(item);
    else out.set(pe, [item]);
  }
  return out;
}

/** Fields Go types always carry (structs, required lists or maps): their presence alone is no change. */
export function alwaysPresent(parent: SchemaNode | undefined, key: string, child: SchemaNode | undefined): boolean {
  if (!isDeclaredField(parent, key)) return false;
  return child?.properties !== undefined || (parent?.required?.includes(key) ?? false);
}

/** Compares lhs (old) with rhs (new); undefined means absent. */
export function compare(lhs: unknown, rhs: unknown, node: SchemaNode | undefined): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };

  const leaf = (path: PathElement[], l: unknown, r: unknown): void => {
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
    else if (!deepEqual(l, r)) c.modified.insert(path);
  };

  /** Returns whether the value was handled as a leaf. */
  const walk = (path: PathElement[], l: unknown, r: unknown, n: SchemaNode | undefined): boolean => {
    // The atom of the new value, else of the old; each side's own (atomOf is a function of the node and the value's shape).
    let atom: Atom;
    let rAtom: Atom;
    let lAtom: Atom;
    if (r !== undefined && r !== null) {
      atom = rAtom = atomOf(n, r);
      lAtom = l === undefined ? atom : atomOf(n, l);
    } else {
      atom = lAtom = atomOf(n, l);
      rAtom = r === undefined ? atom : atomOf(n, r);
    }
    if (rAtom.kind !== lAtom.kind) {
      // The value changed shape: one leaf, modified.
      leaf(path, l, r);
      return true;
    }
    if (atom.kind === 'scalar' || atom.atomic || (isEmptyContainer(l) && isEmptyContainer(r))) {
      leaf(path, l, r);
      return true;
    }
    if (atom.kind === 'list') {
      const ls = indexItems(atom, l);
      const rs = indexItems(atom, r);
      const all = [...ls.keys(), ...[...rs.keys()].filter((pe) => !ls.has(pe))];
      for (const pe of all) {
        const li = ls.get(pe) ?? [];
        const ri = rs.get(pe) ?? [];
        // An unchanged item has nothing to report; most of an update's items are.
        if (li.length === 1 && ri.length === 1 && deepEqual(li[0], ri[0])) continue;
        const itemPath = [...path, pe];
        if (li.length <= 1 && ri.length <= 1) item(itemPath, li[0], ri[0], atom.items);
        else if (li.length >= 2 && ri.length >= 2) {
          if (!deepEqual(li, ri)) c.modified.insert(itemPath);
        } else if (li.length >= 2) {
          if (ri.length === 1) item(itemPath, undefined, ri[0], atom.items);
          c.removed.insert(itemPath);
        } else {
          if (li.length === 1) item(itemPath, li[0], undefined, atom.items);
          c.added.insert(itemPath);
        }
      }
      return false;
    }
    const lm = isObject(l) ? l : {};
    const rm = isObject(r) ? r : {};
    // The old value's keys, then the new value's that the old lacks.
    for (const key of Object.keys(lm)) field(path, atom.node, key, lm[key], hasOwn(rm, key) ? rm[key] : undefined);
    for (const key of Object.keys(rm)) if (!hasOwn(lm, key)) field(path, atom.node, key, undefined, rm[key]);
    return false;
  };

  const field = (path: PathElement[], node: SchemaNode | undefined, key: string, lc: unknown, rc: unknown): void => {
    // Walking an unchanged subtree finds nothing; checking equality first is far cheaper.
    if (lc !== undefined && rc !== undefined && deepEqual(lc, rc)) return;
    const childPath = [...path, fieldElement(key)];
    const child = childNode(node, key);
    const wasLeaf = walk(childPath, lc, rc, child);
    if (!wasLeaf && !alwaysPresent(node, key, child)) presence(childPath, lc, rc);
  };

  const presence = (path: PathElement[], l: unknown, r: unknown): void => {
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
  };

  const item = (path: PathElement[], l: unknown, r: unknown, n: SchemaNode | undefined): void => {
    if (!walk(path, l, r, n)) presence(path, l, r);
  };

  walk([], lhs, rhs, node);
  return c;
}
