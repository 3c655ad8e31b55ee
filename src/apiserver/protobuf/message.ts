// One protobuf message → the JSON object Go's encoding/json would write for
// the same Go struct. The field table says which property a field number is;
// the OpenAPI schema node of that property says how to read its bytes (a
// nested message, a map, a list, a scalar, or a well-known type).

import { StatusError, badRequest } from '../../api/errors.js';
import type { SchemaNode } from '../../api/schema/index.js';
import type { FieldIndex, FieldSpec } from './fields/index.js';
import { WELL_KNOWN, type NestedDecoder } from './well-known.js';
import {
  WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, WireError, WireReader, isZeroWireValue, wireTypeName, type WireField,
} from './wire.js';

export interface DecodeContext {
  fields: FieldIndex;
  nested: NestedDecoder;
}

type Json = Record<string, unknown>;

/** Deep enough for any real object (PodSpec's affinity tree is about a dozen levels); stops hostile nesting. */
const MAX_DEPTH = 100;

/** What a value's bytes are, decided from its schema node. */
type Shape = 'well-known' | 'message' | 'map' | 'list' | 'scalar';

function shapeOf(node: SchemaNode, ctx: DecodeContext): Shape {
  if (node.ref && WELL_KNOWN.has(node.ref)) return 'well-known';
  if (node.ref && ctx.fields.has(node.ref)) return 'message';
  if (node.type === 'array') return 'list';
  if (node.type === 'object' && node.additionalProperties && !node.properties) return 'map';
  if (node.type === 'string' || node.type === 'integer' || node.type === 'boolean' || node.type === 'number') return 'scalar';
  throw badRequest(`k8ts cannot decode ${node.ref ?? 'a free-form object'} from protobuf; send the object as JSON instead`);
}

class Decoder {
  constructor(
    private readonly ctx: DecodeContext,
    private readonly depth: number,
  ) {}

  message(msg: Buffer, type: string, node: SchemaNode, path: string, into: Json = {}): Json {
    if (this.depth > MAX_DEPTH) throw badRequest(`the protobuf body nests deeper than ${MAX_DEPTH} messages at ${path || 'the top level'}`);
    const table = this.ctx.fields.get(type);
    if (!table) throw badRequest(`k8ts cannot decode ${type} from protobuf${at(path)}; send the object as JSON instead`);
    const inner = new Decoder(this.ctx, this.depth + 1);
    let fields: WireField[];
    try {
      fields = WireReader.fields(msg);
    } catch (err) {
      throw malformed(err, type, path);
    }
    for (const f of fields) {
      const spec = table.get(f.field);
      const prop = spec?.kind === 'property' ? node.properties?.[spec.name] : undefined;
      if (spec?.kind === 'inline') {
        expect(f, WIRE_LEN, type, path);
        inner.message(f.value as Buffer, spec.type, node, path, into);
        continue;
      }
      if (!spec || !prop) {
        if (isZeroWireValue(f)) continue;
        throw badRequest(
          `k8ts cannot decode field ${f.field} (${wireTypeName(f.wire)}) of ${type} in protobuf${at(path)}: ` +
            'the field is unknown to this server; send the object as JSON instead (Content-Type: application/json)',
        );
      }
      try {
        inner.property(into, spec, prop, f, type, join(path, spec.name));
      } catch (err) {
        throw malformed(err, type, join(path, spec.name));
      }
    }
    return into;
  }

  private property(into: Json, spec: FieldSpec & { kind: 'property' }, prop: SchemaNode, f: WireField, type: string, path: string): void {
    const name = spec.name;
    switch (shapeOf(prop, this.ctx)) {
      case 'list': {
        const list = ((into[name] as unknown[] | undefined) ??= []);
        list.push(...this.listItems(prop.items ?? {}, f, type, `${path}[${list.length}]`));
        return;
      }
      case 'map': {
        expect(f, WIRE_LEN, type, path);
        const map = ((into[name] as Json | undefined) ??= {});
        this.mapEntry(map, prop.additionalProperties!, f.value as Buffer, path);
        return;
      }
      case 'scalar': {
        const v = scalar(prop, f, type, path);
        if (spec.keepZero || !isZeroScalar(v)) into[name] = v;
        return;
      }
      default: {
        const v = this.value(prop, f, type, path);
        if (v === undefined) return;
        const prev = into[name];
        // A repeated singular message merges into the first, as protobuf specifies.
        if (isPlainObject(prev) && isPlainObject(v)) Object.assign(prev, v);
        else into[name] = v;
      }
    }
  }

  /** One list field occurrence: a single element, or several when scalars are packed. */
  private listItems(items: SchemaNode, f: WireField, type: string, path: string): unknown[] {
    const shape = shapeOf(items, this.ctx);
    if (shape === 'scalar' && items.type !== 'string' && f.wire === WIRE_LEN) {
      return WireReader.packedVarints(f.value as Buffer).map((n) => scalar(items, { field: f.field, wire: WIRE_VARINT, value: n }, type, path));
    }
    if (shape === 'scalar') return [scalar(items, f, type, path)];
    // Lists keep every element: a null would shift positions.
    return [this.value(items, f, type, path) ?? null];
  }

  /** A map field occurrence is one entry message {key = 1, value = 2}. */
  private mapEntry(map: Json, valueNode: SchemaNode, entry: Buffer, path: string): void {
    let key = '';
    let value: unknown;
    for (const f of WireReader.fields(entry)) {
      if (f.field === 1) {
        expect(f, WIRE_LEN, 'a map entry', path);
        key = (f.value as Buffer).toString('utf8');
      } else if (f.field === 2) {
        value = this.value(valueNode, f, 'a map entry', `${path}[${JSON.stringify(key)}]`);
      } else if (!isZeroWireValue(f)) {
        throw new WireError(`map entry has unknown field ${f.field}`);
      }
    }
    map[key] = value ?? zeroOf(valueNode, this.ctx);
  }

  /** A single value of any shape but a bare map or packed list. */
  private value(node: SchemaNode, f: WireField, type: string, path: string): unknown {
    const shape = shapeOf(node, this.ctx);
    if (shape === 'scalar') return scalar(node, f, type, path);
    expect(f, WIRE_LEN, type, path);
    const bytes = f.value as Buffer;
    switch (shape) {
      case 'well-known':
        return WELL_KNOWN.get(node.ref!)!(bytes, this.ctx.nested);
      case 'message':
        return this.message(bytes, node.ref!, node, path);
      case 'list': {
        // A list as a map value or list element travels wrapped: message { repeated T items = 1; } (ExtraValue).
        const out: unknown[] = [];
        for (const item of WireReader.fields(bytes)) {
          if (item.field !== 1) throw new WireError(`list wrapper has unknown field ${item.field}`);
          out.push(...this.listItems(node.items ?? {}, item, type, `${path}[${out.length}]`));
        }
        return out;
      }
      case 'map': {
        const map: Json = {};
        for (const entry of WireReader.fields(bytes)) {
          expect(entry, WIRE_LEN, type, path);
          this.mapEntry(map, node.additionalProperties!, entry.value as Buffer, path);
        }
        return map;
      }
    }
  }
}

function scalar(node: SchemaNode, f: WireField, type: string, path: string): string | number | boolean {
  switch (node.type) {
    case 'string': {
      expect(f, WIRE_LEN, type, path);
      const b = f.value as Buffer;
      return node.format === 'byte' ? b.toString('base64') : b.toString('utf8');
    }
    case 'boolean':
      expect(f, WIRE_VARINT, type, path);
      return f.value !== 0n;
    case 'number':
      if (f.wire === WIRE_FIXED32) return (f.value as Buffer).readFloatLE(0);
      expect(f, WIRE_FIXED64, type, path);
      return (f.value as Buffer).readDoubleLE(0);
    default: {
      expect(f, WIRE_VARINT, type, path);
      const n = f.value as bigint;
      return Number(node.format === 'int32' ? BigInt.asIntN(32, n) : BigInt.asIntN(64, n));
    }
  }
}

function isZeroScalar(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

function zeroOf(node: SchemaNode, ctx: DecodeContext): unknown {
  switch (shapeOf(node, ctx)) {
    case 'scalar':
      return node.type === 'string' ? '' : node.type === 'boolean' ? false : 0;
    case 'list':
      return [];
    case 'well-known':
      return WELL_KNOWN.get(node.ref!)!(Buffer.alloc(0), ctx.nested) ?? null;
    default:
      return {};
  }
}

function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function expect(f: WireField, wire: number, type: string, path: string): void {
  if (f.wire !== wire) {
    throw badRequest(
      `field ${f.field} of ${type} in protobuf${at(path)} is ${wireTypeName(f.wire)}, but this server reads it as ${wireTypeName(wire)}`,
    );
  }
}

function malformed(err: unknown, type: string, path: string): Error {
  if (err instanceof StatusError) return err;
  if (err instanceof WireError) return badRequest(`the protobuf body is malformed in ${type}${at(path)}: ${err.message}`);
  return err as Error;
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function at(path: string): string {
  return path ? ` (at ${path})` : '';
}

export function decodeMessage(msg: Buffer, type: string, node: SchemaNode, ctx: DecodeContext, depth = 0): Json {
  return new Decoder(ctx, depth).message(msg, type, node, '');
}
