// What upstream's JSON decoder would object to in a request body: fields the
// kind does not have (reported under fieldValidation=Strict, warned under
// Warn) and values of the wrong JSON type (always a 400, as Go's decoder
// cannot store a string in an int32). Paths are written as upstream's strict
// decoder writes them: spec.containers[0].imagee, metadata.labels.app.

import type { SchemaNode } from './types.js';
import { INT_OR_STRING, QUANTITY } from './special-types.js';

export interface FieldTypeError {
  /** Where, with list indexes: spec.template.spec.containers[0].ports[0].containerPort. */
  path: string;
  /** The Go type the field decodes into: int32, string, bool, []v1.Container, map[string]string, resource.Quantity. */
  expected: string;
  /** The JSON value found, as Go's decoder names it: string, number, number 1.5, bool, array, object. */
  got: string;
  /** Go's struct-field form of the location: DeploymentSpec.spec.replicas (struct, then field names without indexes). */
  goField: string;
  /** Set when the value has the right JSON type but cannot be parsed (a malformed quantity or base64 string). */
  detail?: string;
}

export interface FieldCheck {
  unknownFields: string[];
  typeErrors: FieldTypeError[];
}

const QUANTITY_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** The Go type name a schema node decodes into, for messages. */
export function goType(node: SchemaNode): string {
  if (node.ref === QUANTITY) return 'resource.Quantity';
  if (node.ref === INT_OR_STRING || node['x-kubernetes-int-or-string']) return 'intstr.IntOrString';
  if (node.type === 'array') return `[]${node.items ? goType(node.items) : 'interface {}'}`;
  if (node.type === 'object' && node.additionalProperties && !node.properties) {
    return `map[string]${goType(node.additionalProperties)}`;
  }
  if (node.ref && (node.type === 'object' || node.properties)) return goStructName(node.ref, true);
  switch (node.type) {
    case 'integer':
      return node.format === 'int32' ? 'int32' : 'int64';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'string':
      return node.format === 'byte' ? '[]uint8' : 'string';
    default:
      return 'map[string]interface {}';
  }
}

/** io.k8s.api.apps.v1.DeploymentSpec → DeploymentSpec, or v1.DeploymentSpec qualified. */
function goStructName(ref: string, qualified = false): string {
  const parts = ref.split('.');
  return qualified ? `${parts[parts.length - 2]}.${parts[parts.length - 1]}` : parts[parts.length - 1];
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

// Every write's body is checked, and nearly always nothing is wrong: the
// walk keeps where it is on stacks and spells paths out only for a finding.
interface Walk {
  out: FieldCheck;
  /** Object keys and list indexes from the root. */
  path: (string | number)[];
  /** The struct-field names from the root, as Go's decoder tracks them. */
  fields: string[];
  /** Schema ref of the innermost struct ('' at a root without one). */
  struct: string;
}

function pathText(path: readonly (string | number)[], last?: string): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  if (last !== undefined) out += out ? `.${last}` : last;
  return out;
}

function goField(w: Walk): string {
  return `${w.struct ? goStructName(w.struct) : ''}.${w.fields.join('.')}`;
}

function typeError(w: Walk, node: SchemaNode, got: string, detail?: string): void {
  const e: FieldTypeError = { path: pathText(w.path), expected: goType(node), got, goField: goField(w) };
  if (detail) e.detail = detail;
  w.out.typeErrors.push(e);
}

function check(node: SchemaNode, value: unknown, w: Walk): void {
  if (value === null || node['x-kubernetes-preserve-unknown-fields']) return;
  if (node.ref === INT_OR_STRING || node['x-kubernetes-int-or-string']) {
    if (typeof value === 'string') return;
    if (typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) return;
    w.out.typeErrors.push({
      path: pathText(w.path),
      expected: 'int32',
      got: typeof value === 'number' ? `number ${value}` : jsonKind(value),
      goField: goField(w),
    });
    return;
  }
  if (node.ref === QUANTITY) {
    const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
    if (text === undefined) typeError(w, node, jsonKind(value));
    else if (!QUANTITY_RE.test(text)) {
      typeError(w, node, jsonKind(value), "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    }
    return;
  }
  switch (node.type) {
    case 'string':
      if (typeof value !== 'string') typeError(w, node, jsonKind(value));
      else if (node.format === 'byte' && !BASE64_RE.test(value)) typeError(w, node, 'string', 'illegal base64 data');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') typeError(w, node, jsonKind(value));
      return;
    case 'number':
      if (typeof value !== 'number') typeError(w, node, jsonKind(value));
      return;
    case 'integer': {
      if (typeof value !== 'number') typeError(w, node, jsonKind(value));
      else if (!Number.isInteger(value) || (node.format === 'int32' && (value < INT32_MIN || value > INT32_MAX))) {
        typeError(w, node, `number ${value}`);
      }
      return;
    }
    case 'array':
      if (!Array.isArray(value)) typeError(w, node, jsonKind(value));
      else if (node.items) {
        const at = w.path.length;
        w.path.push(0);
        for (let i = 0; i < value.length; i++) {
          w.path[at] = i;
          check(node.items, value[i], w);
        }
        w.path.pop();
      }
      return;
  }
  if (node.properties || node.additionalProperties || node.type === 'object') {
    if (typeof value !== 'object' || Array.isArray(value)) {
      typeError(w, node, jsonKind(value));
      return;
    }
    const obj = value as Record<string, unknown>;
    if (node.properties) {
      const outer = w.struct;
      // Go names the innermost struct but the field path from the root (struct fields only, no indexes or map keys).
      if (node.ref) w.struct = node.ref;
      for (const key of Object.keys(obj)) {
        const sub = node.properties[key];
        if (!sub) {
          w.out.unknownFields.push(pathText(w.path, key));
          continue;
        }
        w.path.push(key);
        w.fields.push(key);
        check(sub, obj[key], w);
        w.fields.pop();
        w.path.pop();
      }
      w.struct = outer;
    } else if (node.additionalProperties) {
      for (const key of Object.keys(obj)) {
        w.path.push(key);
        check(node.additionalProperties, obj[key], w);
        w.path.pop();
      }
    }
  }
}

/** Unknown fields and type mismatches of obj against a kind's schema, in document order. */
export function checkFields(schema: SchemaNode, obj: unknown): FieldCheck {
  const out: FieldCheck = { unknownFields: [], typeErrors: [] };
  check(schema, obj, { out, path: [], fields: [], struct: schema.ref ?? '' });
  return out;
}
