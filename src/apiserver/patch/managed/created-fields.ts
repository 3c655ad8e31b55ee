// The fieldsV1 a create gives its manager, written out in one walk of the new
// object. It is what updateOwnership + toFieldsV1 produce when nothing was
// there before and nobody owned anything (compare({}, obj).added, less the
// reset fields and the fields nobody owns), without the path arrays, string
// keys and set algebra of the general case: every Pod, Event and Lease create
// runs it, and the general path was a fifth of a create's CPU.

import type { SchemaNode } from '../../../api/schema/types.js';
import { isObject, setOwn } from '../json-value.js';
import { UNOWNED_METADATA, compareElements, fieldElement, type PathElement } from './fieldpath.js';
import { alwaysPresent, isEmptyContainer } from './compare.js';
import { atomOf, childNode, itemElement } from './typed-schema.js';

type Fields = Record<string, unknown>;

function hasKeys(o: Fields): boolean {
  for (const _ in o) return true;
  return false;
}

/**
 * The fieldsV1 of the fields v adds where nothing was, written straight out
 * in fieldsV1's order; undefined when v counts as one field (a scalar, an
 * atomic or empty value), which its parent records as {}. `member`: whether
 * v itself is a field of the set ("." when it has fields below it). Mirrors
 * compare()'s walk with an absent left-hand side.
 */
function added(v: unknown, n: SchemaNode | undefined, member: boolean): Fields | undefined {
  if (v === undefined || v === null) return undefined;
  const atom = atomOf(n, v);
  if (atom.kind === 'scalar' || atom.atomic || isEmptyContainer(v)) return undefined;
  const out: Fields = {};
  if (atom.kind === 'list') {
    if (!Array.isArray(v)) return out;
    const items = new Map<PathElement, unknown[]>();
    for (const item of v) {
      const pe = itemElement(atom, item);
      const seen = items.get(pe);
      if (seen) seen.push(item);
      else items.set(pe, [item]);
    }
    const pes = [...items.keys()];
    if (pes.length > 1) pes.sort(compareElements);
    if (member && pes.length > 0) out['.'] = {};
    for (const pe of pes) {
      const list = items.get(pe)!;
      // An item present more than once is owned as a whole, never field by field.
      setOwn(out, pe, (list.length === 1 ? added(list[0], atom.items, true) : undefined) ?? {});
    }
    return out;
  }
  return mapFields(isObject(v) ? v : {}, atom.node, member, undefined);
}

/** What a map's key contributes: its fields as usual, none (a reset field), or its fields without itself (unowned metadata). */
type KeyRule = 'drop' | 'unowned' | Map<string, KeyRule>;

function mapFields(obj: Fields, node: SchemaNode | undefined, member: boolean, rules: Map<string, KeyRule> | undefined): Fields {
  const out: Fields = {};
  // Field elements share their "f:" prefix, so names sort as their elements do.
  const keys = Object.keys(obj).sort();
  if (member && keys.length > 0) out['.'] = {};
  for (const key of keys) {
    const rule = rules?.get(key);
    if (rule === 'drop') continue;
    const child = childNode(node, key);
    let sub: Fields | undefined;
    if (rule === undefined) {
      sub = added(obj[key], child, !alwaysPresent(node, key, child));
    } else {
      // Nobody owns the field itself, only what lies below it (if anything).
      const v = obj[key];
      if (rule !== 'unowned' && isObject(v)) {
        const atom = atomOf(child, v);
        sub = atom.kind === 'map' && !atom.atomic && !isEmptyContainer(v) ? mapFields(v, atom.node, false, rule) : undefined;
      } else {
        sub = added(v, child, false);
      }
      if (sub === undefined || !hasKeys(sub)) continue;
    }
    setOwn(out, fieldElement(key), sub ?? {});
  }
  return out;
}

const METADATA_RULES = new Map<string, KeyRule>(UNOWNED_METADATA.map((f) => [f, 'unowned']));

/**
 * The fieldsV1 a create of obj records for its manager; undefined when it
 * owns nothing. reset names the top-level fields the endpoint resets
 * (status), which nobody owns. Throws TypedError where compare() would.
 */
export function createdFieldsV1(obj: unknown, schema: SchemaNode | undefined, reset: readonly string[]): Record<string, unknown> | undefined {
  if (!isObject(obj) || isEmptyContainer(obj)) return undefined;
  const atom = atomOf(schema, obj);
  if (atom.kind !== 'map' || atom.atomic) return undefined;
  const rules = new Map<string, KeyRule>([
    ['apiVersion', 'unowned'],
    ['kind', 'unowned'],
    ['metadata', METADATA_RULES],
  ]);
  for (const f of reset) rules.set(f, 'drop');
  const out = mapFields(obj, atom.node, false, rules);
  return hasKeys(out) ? out : undefined;
}
