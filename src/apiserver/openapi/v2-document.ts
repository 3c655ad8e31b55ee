// The Swagger 2.0 document served at /openapi/v2: every served path with its
// operations, and every definition we have a schema for.

import type { SchemaRegistry } from '../../api/schema/types.js';
import type { ResourceInfo } from '../../api/scheme/resources.js';
import { buildOperations, type DefinitionLookup, type Operation, type Param } from './operations.js';
import { definitionJson } from './schema-json.js';

type Json = Record<string, unknown>;

/** The Kubernetes release our API corresponds to, as published in info.version. */
export const API_VERSION = 'v1.32.0';

export function definitionLookup(registry: SchemaRegistry): DefinitionLookup {
  return { nameFor: (g) => registry.forKind(g.group, g.version, g.kind)?.ref };
}

function paramV2(p: Param): Json {
  if (p.in === 'body') {
    return { in: 'body', name: 'body', required: p.required ?? false, schema: p.schema ? { $ref: `#/definitions/${p.schema}` } : { type: 'object' } };
  }
  const out: Json = { description: p.description, in: p.in, name: p.name, type: p.type };
  if (p.required) out.required = true;
  if (p.uniqueItems) out.uniqueItems = true;
  return out;
}

function responseSchema(def: string): Json | undefined {
  if (def === 'string') return { type: 'string' };
  return def ? { $ref: `#/definitions/${def}` } : undefined;
}

function operationV2(op: Operation): Json {
  const responses: Json = {};
  for (const code of op.codes) {
    const schema = responseSchema(op.response);
    responses[code] = { description: code === '201' ? 'Created' : code === '202' ? 'Accepted' : 'OK', ...(schema ? { schema } : {}) };
  }
  responses['401'] = { description: 'Unauthorized' };
  return {
    consumes: op.consumes,
    description: op.description,
    operationId: op.operationId,
    ...(op.params.length ? { parameters: op.params.map(paramV2) } : {}),
    produces: op.produces,
    responses,
    schemes: ['https'],
    tags: [op.tag],
    'x-kubernetes-action': op.action,
    'x-kubernetes-group-version-kind': { group: op.gvk.group, kind: op.gvk.kind, version: op.gvk.version },
  };
}

export function buildV2Document(registry: SchemaRegistry, resources: readonly ResourceInfo[]): Json {
  const paths: Json = {};
  for (const e of buildOperations(resources, definitionLookup(registry))) {
    const item: Json = {};
    for (const op of e.ops) item[op.method] = operationV2(op);
    item.parameters = e.params.map(paramV2);
    paths[e.path] = item;
  }
  const definitions: Json = {};
  for (const name of [...registry.definitions().keys()].sort()) {
    definitions[name] = definitionJson(name, registry.definition(name)!, registry, 'v2');
  }
  return {
    definitions,
    info: { title: 'Kubernetes', version: API_VERSION },
    paths,
    security: [{ BearerToken: [] }],
    securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', in: 'header', name: 'authorization', type: 'apiKey' } },
    swagger: '2.0',
  };
}
