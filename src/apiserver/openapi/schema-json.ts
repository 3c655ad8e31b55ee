// SchemaNode → OpenAPI JSON. A node standing for a definition is written as a
// $ref, except at the definition itself; a $ref node that adds a description
// or patch extensions keeps them beside the $ref (v2) or wraps the $ref in
// allOf (v3, where siblings of $ref are ignored), as upstream does.

import type { SchemaNode, SchemaRegistry } from '../../api/schema/types.js';

type Json = Record<string, unknown>;

const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

/** Extensions published in the documents (others on SchemaNode are for our own use). */
const PUBLISHED = [
  'x-kubernetes-patch-merge-key', 'x-kubernetes-patch-strategy', 'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys', 'x-kubernetes-map-type',
] as const;

export type Flavor = 'v2' | 'v3';

function refTo(name: string, flavor: Flavor): string {
  return flavor === 'v2' ? `#/definitions/${name}` : `#/components/schemas/${name}`;
}

export function definitionJson(name: string, node: SchemaNode, registry: SchemaRegistry, flavor: Flavor): Json {
  if (flavor === 'v3' && (name === QUANTITY || name === INT_OR_STRING)) {
    // v3 can say what v2 cannot: both JSON types are accepted.
    const types = name === QUANTITY ? ['string', 'number'] : ['integer', 'string'];
    const out: Json = { description: node.description, oneOf: types.map((type) => ({ type })) };
    if (name === INT_OR_STRING) out.format = 'int-or-string';
    return out;
  }
  const out = inline(node, registry, flavor);
  const gvk = node['x-kubernetes-group-version-kind'];
  if (gvk) out['x-kubernetes-group-version-kind'] = gvk.map((g) => ({ group: g.group, kind: g.kind, version: g.version }));
  return out;
}

function inline(node: SchemaNode, registry: SchemaRegistry, flavor: Flavor): Json {
  const out: Json = {};
  if (node.description) out.description = node.description;
  if (node.type) out.type = node.type;
  if (node.format) out.format = node.format;
  if (node.required?.length) out.required = node.required;
  if (node.items) out.items = usage(node.items, registry, flavor);
  if (node.additionalProperties) out.additionalProperties = usage(node.additionalProperties, registry, flavor);
  if (node.properties) {
    const props: Json = {};
    for (const [k, v] of Object.entries(node.properties)) props[k] = usage(v, registry, flavor);
    out.properties = props;
  }
  for (const k of PUBLISHED) if (node[k] !== undefined) out[k] = node[k];
  return out;
}

/** A schema where it is used: a property, list item or map value. */
export function usage(node: SchemaNode, registry: SchemaRegistry, flavor: Flavor): Json {
  if (!node.ref) return inline(node, registry, flavor);
  const def = registry.definition(node.ref);
  const ref = { $ref: refTo(node.ref, flavor) };
  if (!def || def === node) return ref;
  const own: Json = {};
  if (node.description && node.description !== def.description) own.description = node.description;
  for (const k of PUBLISHED) if (node[k] !== undefined && node[k] !== def[k]) own[k] = node[k];
  if (!Object.keys(own).length) return ref;
  return flavor === 'v2' ? { ...ref, ...own } : { allOf: [ref], ...own };
}

/** Every definition reachable from the named ones (which are included). */
export function closure(names: Iterable<string>, registry: SchemaRegistry): Set<string> {
  const seen = new Set<string>();
  const queue = [...names];
  const walk = (node: SchemaNode) => {
    if (node.ref) queue.push(node.ref);
    else visitChildren(node);
  };
  const visitChildren = (node: SchemaNode) => {
    if (node.items) walk(node.items);
    if (node.additionalProperties) walk(node.additionalProperties);
    for (const p of Object.values(node.properties ?? {})) walk(p);
  };
  while (queue.length) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    const def = registry.definition(name);
    if (!def) continue;
    seen.add(name);
    visitChildren(def);
  }
  return seen;
}
