// OpenAPI v3, one document per group/version (kubectl explain and apply read
// these): the paths of that group/version and every schema they reach.

import type { SchemaRegistry } from '../../api/schema/types.js';
import type { ResourceInfo } from '../../api/scheme/resources.js';
import { buildOperations, type Operation, type Param, type PathEntry } from './operations.js';
import { closure, definitionJson } from './schema-json.js';
import { API_VERSION, definitionLookup } from './v2-document.js';

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

function paramV3(p: Param): Json {
  const out: Json = { description: p.description, in: p.in, name: p.name, schema: { type: p.type, uniqueItems: p.uniqueItems || undefined } };
  if (p.required) out.required = true;
  return out;
}

function operationV3(op: Operation): Json {
  const bodyParam = op.params.find((p) => p.in === 'body');
  const responses: Json = {};
  for (const code of op.codes) {
    const schema = op.response === 'string' ? { type: 'string' } : op.response ? ref(op.response) : undefined;
    const content: Json = {};
    if (schema) for (const type of op.produces) content[type] = { schema };
    responses[code] = { description: code === '201' ? 'Created' : code === '202' ? 'Accepted' : 'OK', ...(schema ? { content } : {}) };
  }
  responses['401'] = { description: 'Unauthorized' };
  const out: Json = {
    description: op.description,
    operationId: op.operationId,
    responses,
    tags: [op.tag],
    'x-kubernetes-action': op.action,
    'x-kubernetes-group-version-kind': { group: op.gvk.group, kind: op.gvk.kind, version: op.gvk.version },
  };
  const params = op.params.filter((p) => p.in !== 'body');
  if (params.length) out.parameters = params.map(paramV3);
  if (bodyParam) {
    const schema = bodyParam.schema ? ref(bodyParam.schema) : { type: 'object' };
    const content: Json = {};
    for (const type of op.consumes) content[type] = { schema };
    out.requestBody = { content, ...(bodyParam.required ? { required: true } : {}) };
  }
  return out;
}

/** The URL segment of a group/version document: api/v1, apis/apps/v1. */
export function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

export function buildV3Documents(registry: SchemaRegistry, resources: readonly ResourceInfo[]): Map<string, Json> {
  const byGv = new Map<string, PathEntry[]>();
  for (const e of buildOperations(resources, definitionLookup(registry))) {
    const key = gvPath(e.group, e.version);
    const list = byGv.get(key) ?? [];
    list.push(e);
    byGv.set(key, list);
  }
  const docs = new Map<string, Json>();
  for (const [key, entries] of byGv) {
    const paths: Json = {};
    const used = new Set<string>();
    for (const e of entries) {
      const item: Json = {};
      for (const op of e.ops) {
        item[op.method] = operationV3(op);
        for (const p of op.params) if (p.schema) used.add(p.schema);
        if (op.response && op.response !== 'string') used.add(op.response);
      }
      item.parameters = e.params.map(paramV3);
      paths[e.path] = item;
    }
    const schemas: Json = {};
    for (const name of [...closure(used, registry)].sort()) schemas[name] = definitionJson(name, registry.definition(name)!, registry, 'v3');
    docs.set(key, {
      components: {
        schemas,
        securitySchemes: { BearerToken: { description: 'Bearer Token authentication', in: 'header', name: 'authorization', type: 'apiKey' } },
      },
      info: { title: 'Kubernetes', version: API_VERSION },
      openapi: '3.0.0',
      paths,
    });
  }
  return docs;
}
