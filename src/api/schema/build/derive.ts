// Turns client-node's models into upstream-named OpenAPI v2 definitions for
// every kind we document. Which package a shared type lives in is inferred
// from the type graph: a walk from each group's kinds (core first) files the
// types it reaches under that group, unless they are meta types, carry a
// group prefix, or were filed already.

import type { ClientModel, ModelField } from './client-models.js';
import { classCandidates, parseClassName, referencedClasses } from './naming.js';
import { BODY_ONLY_KINDS, META_PACKAGE, packageOf, type SchemaGroupVersion } from '../groups.js';
import { ATOMIC_STRUCTS, LIST_EXTENSIONS } from '../list-extensions.js';
import { METRICS_DEFINITIONS, METRICS_KINDS } from '../metrics-types.js';
import {
  ANY_FIELDS, CORE_TYPES_USED_ELSEWHERE, INT_OR_STRING, META_TYPES, MICRO_TIME, QUANTITY, QUANTITY_FIELDS,
  RAW_EXTENSION, SPECIAL_DEFINITIONS, TIME,
} from '../special-types.js';

export type Json = Record<string, unknown>;

export interface Derived {
  definitions: Record<string, Json>;
  /** Table entries that matched no field: upstream is newer than client-node, or a typo. */
  unmatched: string[];
  /** Kinds client-node has no model for: served without a schema. */
  missingKinds: string[];
}

const ref = (name: string): Json => ({ $ref: `#/definitions/${name}` });

export function deriveDefinitions(models: ReadonlyMap<string, ClientModel>, gvs: SchemaGroupVersion[]): Derived {
  const nameOf = new Map<string, string>();
  const gvks = new Map<string, { group: string; version: string; kind: string }[]>();
  const missingKinds: string[] = [];

  const fileUnder = (className: string, group: string): void => {
    const queue = [className];
    while (queue.length) {
      const cn = queue.pop()!;
      if (nameOf.has(cn)) continue;
      const model = models.get(cn);
      const parsed = parseClassName(cn);
      if (!model || !parsed) throw new Error(`gen-schema: no client-node model ${cn}`);
      let pkg: string;
      if (parsed.group === undefined && parsed.version === 'v1' && META_TYPES.has(parsed.kind)) pkg = META_PACKAGE;
      else if (parsed.group !== undefined) pkg = packageOf(parsed.group, parsed.version);
      else if (CORE_TYPES_USED_ELSEWHERE.includes(parsed.kind)) pkg = packageOf('', parsed.version);
      else pkg = packageOf(group, parsed.version);
      nameOf.set(cn, `${pkg}.${parsed.kind}`);
      for (const f of model.fields) for (const r of referencedClasses(f.type)) if (models.has(r)) queue.push(r);
    }
  };

  for (const gv of gvs) {
    for (const kind of gv.kinds) {
      const kinds = BODY_ONLY_KINDS.has(kind) ? [kind] : [kind, `${kind}List`];
      for (const k of kinds) {
        const cn = classCandidates(gv.group, gv.version, k).find((c) => models.has(c));
        if (!cn) {
          if (METRICS_KINDS.has(`${gv.group}/${gv.version} ${k}`)) continue;
          missingKinds.push(`${gv.group}/${gv.version} ${k}`);
          continue;
        }
        fileUnder(cn, gv.group);
        const list = gvks.get(nameOf.get(cn)!) ?? [];
        list.push({ group: gv.group, version: gv.version, kind: k });
        gvks.set(nameOf.get(cn)!, list);
      }
    }
  }
  // Every group/version accepts DeleteOptions and streams WatchEvents, so upstream tags them with all of them.
  for (const kind of ['DeleteOptions', 'WatchEvent']) {
    fileUnder(`V1${kind}`, '');
    gvks.set(`${META_PACKAGE}.${kind}`, gvs.map((gv) => ({ group: gv.group, version: gv.version, kind })));
  }
  fileUnder('V1Status', '');
  gvks.set(`${META_PACKAGE}.Status`, [{ group: '', version: 'v1', kind: 'Status' }]);

  const used = new Set<string>();
  const definitions: Record<string, Json> = {};
  for (const [cn, name] of nameOf) {
    const model = models.get(cn)!;
    const dot = name.lastIndexOf('.');
    const extTable = LIST_EXTENSIONS[name.slice(0, dot)]?.[name.slice(dot + 1)] ?? {};
    const properties: Record<string, Json> = {};
    for (const f of [...model.fields].sort((a, b) => a.name.localeCompare(b.name))) {
      const prop = fieldSchema(f, name, nameOf);
      if (f.description) prop.description = f.description;
      const ext = extTable[f.name];
      if (ext) {
        Object.assign(prop, ext);
        used.add(`${name}.${f.name}`);
      }
      properties[f.name] = sortKeys(prop);
    }
    const def: Json = { type: 'object', properties };
    if (model.description) def.description = model.description;
    const required = model.fields.filter((f) => f.required).map((f) => f.name);
    if (required.length) def.required = required;
    const gvk = gvks.get(name);
    if (gvk) def['x-kubernetes-group-version-kind'] = gvk;
    if (ATOMIC_STRUCTS.includes(name)) def['x-kubernetes-map-type'] = 'atomic';
    definitions[name] = sortKeys(def);
  }
  for (const [name, def] of Object.entries(SPECIAL_DEFINITIONS)) definitions[name] = def;
  for (const [name, def] of Object.entries(METRICS_DEFINITIONS)) definitions[name] = def;

  const unmatched: string[] = [];
  for (const [pkg, types] of Object.entries(LIST_EXTENSIONS)) {
    for (const [type, fields] of Object.entries(types)) {
      for (const field of Object.keys(fields)) if (!used.has(`${pkg}.${type}.${field}`)) unmatched.push(`${pkg}.${type}.${field}`);
    }
  }
  checkRefs(definitions);
  const sorted: Record<string, Json> = {};
  for (const k of Object.keys(definitions).sort()) sorted[k] = definitions[k];
  return { definitions: sorted, unmatched, missingKinds };
}

function fieldSchema(f: ModelField, owner: string, nameOf: ReadonlyMap<string, string>): Json {
  if (QUANTITY_FIELDS[owner]?.includes(f.name)) {
    return f.type.startsWith('{') ? { type: 'object', additionalProperties: ref(QUANTITY) } : ref(QUANTITY);
  }
  if (f.type === 'any') return ref(ANY_FIELDS[`${owner}.${f.name}`] ?? RAW_EXTENSION);
  return typeSchema(f.type, f.format, nameOf);
}

function typeSchema(type: string, format: string, nameOf: ReadonlyMap<string, string>): Json {
  const arr = /^Array<(.*)>$/.exec(type);
  if (arr) return { type: 'array', items: typeSchema(arr[1], format, nameOf) };
  const map = /^\{ \[key: string\]: (.*); \}$/.exec(type);
  if (map) return { type: 'object', additionalProperties: typeSchema(map[1], format, nameOf) };
  switch (type) {
    case 'string':
      return format === 'byte' ? { type: 'string', format: 'byte' } : { type: 'string' };
    case 'boolean':
      return { type: 'boolean' };
    case 'number':
      return format === 'int32' || format === 'int64' ? { type: 'integer', format } : { type: 'number', format: format || 'double' };
    case 'Date':
    case 'V1MicroTime':
      return ref(format === 'date-time-micro' ? MICRO_TIME : TIME);
    case 'IntOrString':
      return ref(INT_OR_STRING);
    case 'any':
      return ref(RAW_EXTENSION);
  }
  const name = nameOf.get(type);
  if (!name) throw new Error(`gen-schema: cannot map client-node type ${type}`);
  return ref(name);
}

function sortKeys(o: Json): Json {
  const out: Json = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}

/** kubectl's OpenAPI parser rejects a document with a $ref to a missing definition. */
function checkRefs(defs: Record<string, Json>): void {
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string' && !defs[x.replace('#/definitions/', '')]) {
          throw new Error(`gen-schema: dangling reference ${x}`);
        }
        visit(x);
      }
    }
  };
  visit(defs);
}
