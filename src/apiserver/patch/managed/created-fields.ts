// The fieldsV1 trie a create gives its manager, built in one walk of the new
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

interface TrieNode {
  member: boolean;
  children: Map<PathElement, TrieNode> | undefined;
}

function node(member: boolean): TrieNode {
  return { member, children: undefined };
}

function addChild(parent: TrieNode, pe: PathElement, child: TrieNode): void {
  (parent.children ??= new Map()).set(pe, child);
}

/**
 * The subtree of fields v adds where nothing was; `leaf` when v counts as one
 * field (a scalar, an atomic or empty value). Mirrors compare()'s walk with
 * an absent left-hand side.
 */
function added(v: unknown, n: SchemaNode | undefined): TrieNode | 'leaf' {
  if (v === undefined || v === null) return 'leaf';
  const atom = atomOf(n, v);
  if (atom.kind === 'scalar' || atom.atomic || isEmptyContainer(v)) return 'leaf';
  const out = node(false);
  if (atom.kind === 'list') {
    if (!Array.isArray(v)) return out;
    const items = new Map<PathElement, unknown[]>();
    for (const item of v) {
      const pe = itemElement(atom, item);
      const seen = items.get(pe);
      if (seen) seen.push(item);
      else items.set(pe, [item]);
    }
    for (const [pe, list] of items) {
      // An item present more than once is owned as a whole, never field by field.
      const sub = list.length === 1 ? added(list[0], atom.items) : 'leaf';
      addChild(out, pe, sub === 'leaf' ? node(true) : { member: true, children: sub.children });
    }
    return out;
  }
  const obj = isObject(v) ? v : {};
  for (const key of Object.keys(obj)) {
    const child = childNode(atom.node, key);
    const sub = added(obj[key], child);
    if (sub === 'leaf') addChild(out, fieldElement(key), node(true));
    else addChild(out, fieldElement(key), { member: !alwaysPresent(atom.node, key, child), children: sub.children });
  }
  return out;
}

function emit(n: TrieNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const children = n.children;
  if (!children || children.size === 0) return out;
  if (n.member) out['.'] = {};
  const keys = [...children.keys()].sort(compareElements);
  for (const pe of keys) setOwn(out, pe, emit(children.get(pe)!));
  return out;
}

/** Drops members nobody owns (exact paths) and subtrees left empty; false when n itself is left empty. */
function strip(n: TrieNode, stripped: StrippedTree): boolean {
  if (stripped.self) n.member = false;
  if (n.children && stripped.children) {
    for (const [pe, sub] of stripped.children) {
      const c = n.children.get(pe);
      if (c && !strip(c, sub)) n.children.delete(pe);
    }
  }
  return n.member || (n.children !== undefined && n.children.size > 0);
}

interface StrippedTree {
  self: boolean;
  children?: Map<PathElement, StrippedTree>;
}

const STRIPPED: StrippedTree = {
  self: false,
  children: new Map<PathElement, StrippedTree>([
    [fieldElement('apiVersion'), { self: true }],
    [fieldElement('kind'), { self: true }],
    [fieldElement('metadata'), { self: true, children: new Map(UNOWNED_METADATA.map((f) => [fieldElement(f), { self: true }])) }],
  ]),
};

/**
 * The fieldsV1 a create of obj records for its manager; undefined when it
 * owns nothing. reset names the top-level fields the endpoint resets
 * (status), which nobody owns. Throws TypedError where compare() would.
 */
export function createdFieldsV1(obj: unknown, schema: SchemaNode | undefined, reset: readonly string[]): Record<string, unknown> | undefined {
  if (!isObject(obj)) return undefined;
  const root = added(obj, schema);
  if (root === 'leaf' || !root.children) return undefined;
  for (const f of reset) root.children.delete(fieldElement(f));
  root.member = false;
  if (!strip(root, STRIPPED)) return undefined;
  return emit(root);
}

