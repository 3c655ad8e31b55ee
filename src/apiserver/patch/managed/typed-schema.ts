// How server-side apply reads a kind's OpenAPI schema (upstream converts it
// with kube-openapi's schemaconv): every value is a scalar, a list or a map;
// lists are atomic, sets, or maps keyed by some fields of their items; maps
// (structs included) are granular unless marked atomic. Where the schema says
// nothing (free-form objects, unknown fields) the kind is deduced from the
// value: maps granular, lists atomic.

import type { SchemaNode } from '../../../api/schema/types.js';
import { hasOwn, isObject } from '../json-value.js';
import { keyElement, valueElement, type PathElement } from './fieldpath.js';

export type Atom =
  | { kind: 'scalar' }
  | { kind: 'list'; atomic: boolean; keys: string[] | undefined; items: SchemaNode | undefined }
  | { kind: 'map'; atomic: boolean; node: SchemaNode | undefined };

/** A value that does not fit the schema, as upstream's typed conversion reports it. */
export class TypedError extends Error {}

const DEDUCED_MAP: Atom = { kind: 'map', atomic: false, node: undefined };
const DEDUCED_LIST: Atom = { kind: 'list', atomic: true, keys: undefined, items: undefined };
const SCALAR: Atom = { kind: 'scalar' };

function deduce(value: unknown): Atom {
  if (Array.isArray(value)) return DEDUCED_LIST;
  return isObject(value) ? DEDUCED_MAP : SCALAR;
}

function listShape(node: SchemaNode): { atomic: boolean; keys: string[] | undefined } {
  const listType = node['x-kubernetes-list-type'];
  if (listType === 'atomic') return { atomic: true, keys: undefined };
  if (listType === 'set') return { atomic: false, keys: undefined };
  if (listType === 'map') return { atomic: false, keys: node['x-kubernetes-list-map-keys'] ?? [] };
  // Without a list type, the patch strategy decides, as in schemaconv.
  const strategies = (node['x-kubernetes-patch-strategy'] ?? '').split(',');
  if (strategies.includes('merge')) {
    const key = node['x-kubernetes-patch-merge-key'];
    return { atomic: false, keys: key ? [key] : undefined };
  }
  return { atomic: true, keys: undefined };
}

// A schema node's atom, worked out once: every field of every write asks for
// it, and building it (list shapes split the patch strategy) cost more than
// the walks themselves. Atoms are never changed by their users.
const schemaAtoms = new WeakMap<SchemaNode, Atom>();

function schemaAtom(node: SchemaNode, isList: boolean): Atom {
  let atom = schemaAtoms.get(node);
  if (atom === undefined) {
    if (isList) atom = { kind: 'list', ...listShape(node), items: node.items };
    else if (!node.properties && !node.additionalProperties) atom = DEDUCED_MAP;
    else atom = { kind: 'map', atomic: node['x-kubernetes-map-type'] === 'atomic', node };
    schemaAtoms.set(node, atom);
  }
  return atom;
}

/** The atom for a value at a schema node; a value of another shape than the schema's is deduced. */
export function atomOf(node: SchemaNode | undefined, value: unknown): Atom {
  if (!node || node['x-kubernetes-int-or-string']) return deduce(value);
  const isList = node.type === 'array' || (node.type === undefined && node.items !== undefined);
  const isMap = node.type === 'object' || (node.type === undefined && (node.properties !== undefined || node.additionalProperties !== undefined));
  if (isList) {
    if (!Array.isArray(value) && value !== null && value !== undefined) return deduce(value);
    return schemaAtom(node, true);
  }
  if (isMap) {
    if (!isObject(value) && value !== null && value !== undefined) return deduce(value);
    return schemaAtom(node, false);
  }
  if (node.type === undefined) return deduce(value);
  return Array.isArray(value) || isObject(value) ? deduce(value) : SCALAR;
}

/** Whether key names a declared struct field (as opposed to a map key or an unknown field). */
export function isDeclaredField(node: SchemaNode | undefined, key: string): boolean {
  return node?.properties !== undefined && hasOwn(node.properties, key);
}

/** A map's child schema; undefined (deduced) for unknown fields and free-form maps. */
export function childNode(node: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (!node) return undefined;
  if (isDeclaredField(node, key)) return node.properties![key];
  return node.additionalProperties;
}

/** A field no schema admits: upstream's typed conversion rejects it. */
export function isUnknownField(node: SchemaNode | undefined, key: string): boolean {
  if (!node || node['x-kubernetes-preserve-unknown-fields']) return false;
  if (!node.properties && !node.additionalProperties) return false;
  return !isDeclaredField(node, key) && !node.additionalProperties;
}

/**
 * Defaults for key fields an item may omit. Upstream reads them from the
 * schema's `default`; our schema nodes carry none, so the one default the
 * built-in list-map keys have (protocol, of ports) is known here.
 */
function keyDefault(items: SchemaNode | undefined, field: string): unknown {
  const fieldNode = items?.properties?.[field] as (SchemaNode & { default?: unknown }) | undefined;
  if (fieldNode && fieldNode.default !== undefined) return fieldNode.default;
  return field === 'protocol' ? 'TCP' : undefined;
}

/** The path element naming an item of a non-atomic list. */
export function itemElement(atom: Extract<Atom, { kind: 'list' }>, item: unknown): PathElement {
  if (atom.keys && atom.keys.length > 0) {
    if (item === null) throw new TypedError('associative list with keys may not have a null element');
    if (!isObject(item)) throw new TypedError('associative list with keys may not have non-map elements');
    const fields: [string, unknown][] = [];
    for (const k of atom.keys) {
      if (hasOwn(item, k)) fields.push([k, item[k]]);
      else {
        const def = keyDefault(atom.items, k);
        if (def !== undefined) fields.push([k, def]);
      }
    }
    if (fields.length === 0) {
      throw new TypedError(
        `associative list with keys has an element that omits all key fields ${JSON.stringify(atom.keys).replace(/,/g, ' ')} (and doesn't have default values for any key fields)`,
      );
    }
    return keyElement(fields);
  }
  if (isObject(item)) throw new TypedError("associative list without keys has an element that's a map type");
  if (Array.isArray(item)) throw new TypedError('not supported: associative list with lists as elements');
  if (item === null) throw new TypedError("associative list without keys has an element that's an explicit null");
  return valueElement(item);
}
