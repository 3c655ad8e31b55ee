// The v2 document in the protobuf form kubectl asks for first: gnostic's
// openapi.v2.Document message (field numbers from gnostic's OpenAPIv2.proto).
// Vendor extensions travel as NamedAny{name, Any{yaml}} with a YAML value.

import { stringify } from 'yaml';
import { ProtoWriter } from './protobuf-writer.js';

type Json = Record<string, any>;

const METHOD_FIELDS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

/** The same few extension values recur thousands of times; the YAML library is slow per call. */
function yamlOf(v: unknown, cache: Map<string, string>): string {
  const key = JSON.stringify(v);
  let y = cache.get(key);
  if (y === undefined) cache.set(key, (y = stringify(v)));
  return y;
}

const yamlCache = new Map<string, string>();

function extensions(w: ProtoWriter, field: number, obj: Json): void {
  for (const [k, v] of Object.entries(obj)) {
    if (!k.startsWith('x-')) continue;
    w.message(field, (na) => na.string(1, k).message(2, (any) => any.string(2, yamlOf(v, yamlCache))));
  }
}

function schema(w: ProtoWriter, s: Json): void {
  w.string(1, s.$ref).string(2, s.format).string(4, s.description).strings(19, s.required);
  if (s.additionalProperties) w.message(21, (ap) => ap.message(1, (x) => schema(x, s.additionalProperties)));
  if (s.type) w.message(22, (t) => t.strings(1, [s.type]));
  if (s.items) w.message(23, (it) => it.message(1, (x) => schema(x, s.items)));
  for (const sub of s.allOf ?? []) w.message(24, (x) => schema(x, sub));
  if (s.properties) {
    w.message(25, (props) => {
      for (const [name, sub] of Object.entries(s.properties)) props.message(1, (ns) => ns.string(1, name).message(2, (x) => schema(x, sub as Json)));
    });
  }
  extensions(w, 31, s);
}

function parameter(w: ProtoWriter, p: Json): void {
  w.message(1, (param) => {
    if (p.in === 'body') {
      param.message(1, (b) => b.string(1, p.description).string(2, p.name).string(3, p.in).bool(4, p.required).message(5, (x) => schema(x, p.schema)));
    } else if (p.in === 'path') {
      param.message(2, (nb) => nb.message(4, (x) => x.bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name).string(5, p.type).bool(19, p.uniqueItems)));
    } else {
      param.message(2, (nb) => nb.message(3, (x) => x.bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name).string(6, p.type).bool(20, p.uniqueItems)));
    }
  });
}

function operation(w: ProtoWriter, op: Json): void {
  w.strings(1, op.tags).string(3, op.description).string(5, op.operationId).strings(6, op.produces).strings(7, op.consumes);
  for (const p of op.parameters ?? []) w.message(8, (x) => parameter(x, p));
  w.message(9, (rs) => {
    for (const [code, r] of Object.entries(op.responses as Json)) {
      rs.message(1, (nr) => nr.string(1, code).message(2, (rv) => rv.message(1, (resp) => {
        resp.string(1, r.description);
        if (r.schema) resp.message(2, (si) => si.message(1, (x) => schema(x, r.schema)));
      })));
    }
  });
  w.strings(10, op.schemes);
  extensions(w, 13, op);
}

export function encodeV2Document(doc: Json): Uint8Array {
  const w = new ProtoWriter();
  w.string(1, doc.swagger);
  w.message(2, (info) => info.string(1, doc.info.title).string(2, doc.info.version));
  w.message(8, (paths) => {
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      paths.message(2, (np) => np.string(1, path).message(2, (pi) => {
        for (const [method, field] of Object.entries(METHOD_FIELDS)) if (item[method]) pi.message(field, (x) => operation(x, item[method]));
        for (const p of item.parameters ?? []) pi.message(9, (x) => parameter(x, p));
      }));
    }
  });
  w.message(9, (defs) => {
    for (const [name, s] of Object.entries(doc.definitions as Json)) defs.message(1, (ns) => ns.string(1, name).message(2, (x) => schema(x, s)));
  });
  for (const req of doc.security ?? []) {
    w.message(12, (sr) => {
      for (const [name, scopes] of Object.entries(req as Json)) sr.message(1, (nsa) => nsa.string(1, name).message(2, (sa) => sa.strings(1, scopes)));
    });
  }
  if (doc.securityDefinitions) {
    w.message(13, (sd) => {
      for (const [name, d] of Object.entries(doc.securityDefinitions as Json)) {
        sd.message(1, (n) => n.string(1, name).message(2, (item) => item.message(2, (k) => k.string(1, d.type).string(2, d.name).string(3, d.in).string(4, d.description))));
      }
    });
  }
  return w.finish();
}
