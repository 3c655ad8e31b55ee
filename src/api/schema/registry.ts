// The schema registry the server loads once: definitions.json (written by the
// build) resolved into SchemaNode objects. A $ref becomes the referenced
// definition's node itself, so nodes are shared and cycles (a definition that
// reaches itself) cost nothing; a $ref that adds its own description or
// patch extensions gets a node of its own that copies the target's.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SchemaNode, SchemaRegistry } from './types.js';

type Json = Record<string, any>;

const COPIED_KEYS = [
  'type', 'format', 'description', 'x-kubernetes-patch-merge-key', 'x-kubernetes-patch-strategy',
  'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
] as const;

const REF_PREFIX = '#/definitions/';

export function schemaRegistryFrom(definitions: Record<string, Json>): SchemaRegistry {
  const nodes = new Map<string, SchemaNode>();
  for (const name of Object.keys(definitions)) nodes.set(name, { ref: name });
  const wrappers: [SchemaNode, SchemaNode][] = [];

  const convert = (json: Json, into: SchemaNode = {}): SchemaNode => {
    if (typeof json.$ref === 'string') {
      const name = json.$ref.slice(REF_PREFIX.length);
      const target = nodes.get(name);
      if (!target) throw new Error(`schema: dangling reference ${json.$ref}`);
      const own = Object.keys(json).filter((k) => k !== '$ref');
      if (own.length === 0) return target;
      // Filled in once every definition is, since the target may not be yet.
      const node: SchemaNode = {};
      for (const k of own) (node as Json)[k] = json[k];
      wrappers.push([node, target]);
      return node;
    }
    for (const k of COPIED_KEYS) if (json[k] !== undefined) (into as Json)[k] = json[k];
    if (json.required) into.required = json.required;
    if (json.properties) {
      into.properties = {};
      for (const [k, v] of Object.entries(json.properties)) into.properties[k] = convert(v as Json);
    }
    if (json.items) into.items = convert(json.items);
    if (json.additionalProperties && typeof json.additionalProperties === 'object') {
      into.additionalProperties = convert(json.additionalProperties);
    }
    if (json['x-kubernetes-group-version-kind']) into['x-kubernetes-group-version-kind'] = json['x-kubernetes-group-version-kind'];
    return into;
  };

  for (const [name, json] of Object.entries(definitions)) convert(json, nodes.get(name));
  for (const [node, target] of wrappers) {
    const own = { ...node };
    Object.assign(node, target, own);
  }

  const byKind = new Map<string, SchemaNode>();
  for (const node of nodes.values()) {
    for (const g of node['x-kubernetes-group-version-kind'] ?? []) {
      const key = `${g.group}/${g.version}/${g.kind}`;
      if (!byKind.has(key)) byKind.set(key, node);
    }
  }
  return {
    forKind: (group, version, kind) => byKind.get(`${group}/${version}/${kind}`),
    definition: (name) => nodes.get(name),
    definitions: () => nodes,
  };
}

function definitionsPath(): string {
  // Compiled: dist/src/api/schema → dist/schema. From source (tsx): src/api/schema → dist/schema.
  const candidates = ['../../../schema/definitions.json', '../../../dist/schema/definitions.json'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`schema: ${candidates[0]} is missing; run npm run build`);
  return found;
}

let cached: SchemaRegistry | undefined;

/** The registry of every documented kind, loaded on first use. */
export function loadSchemaRegistry(): SchemaRegistry {
  if (!cached) {
    const doc = JSON.parse(readFileSync(definitionsPath(), 'utf8')) as { definitions: Record<string, Json> };
    cached = schemaRegistryFrom(doc.definitions);
  }
  return cached;
}
