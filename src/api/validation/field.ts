// Builders for field errors whose text is byte-for-byte what upstream's
// field.Error.ErrorBody() prints, since kubectl shows it verbatim.

import type { FieldError } from '../errors.js';

export type { FieldError };

/** A value already rendered the way Go's %#v would print it (maps, slices, structs). */
export class GoSyntax {
  constructor(readonly text: string) {}
}

/** Go's strconv.Quote: what %q prints for a string. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c >= 0x80 && c < 0xa0) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/** %#v of a map[string]string: keys sorted, as fmt does. */
export function goStringMap(m: Record<string, string> | undefined | null): GoSyntax {
  if (m === undefined || m === null) return new GoSyntax('map[string]string(nil)');
  const parts = Object.keys(m)
    .sort()
    .map((k) => `${goQuote(k)}:${goQuote(String(m[k]))}`);
  return new GoSyntax(`map[string]string{${parts.join(', ')}}`);
}

/** %#v of a []string. */
export function goStringSlice(a: readonly string[] | undefined | null): GoSyntax {
  if (a === undefined || a === null) return new GoSyntax('[]string(nil)');
  return new GoSyntax(`[]string{${a.map((s) => goQuote(String(s))).join(', ')}}`);
}

/** How ErrorBody renders a bad value. */
export function formatValue(v: unknown): string {
  if (v instanceof GoSyntax) return v.text;
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  // Objects are rare in the errors users hit; JSON is the most legible stand-in for Go syntax.
  return JSON.stringify(v);
}

function withDetail(head: string, detail: string | undefined): string {
  return detail ? `${head}: ${detail}` : head;
}

export function required(field: string, detail = ''): FieldError {
  return { type: 'FieldValueRequired', field, detail: withDetail('Required value', detail) };
}

export function forbidden(field: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field, detail: withDetail('Forbidden', detail) };
}

export function invalid(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, detail: withDetail(`Invalid value: ${formatValue(value)}`, detail) };
}

export function notSupported(field: string, value: unknown, valid: readonly string[]): FieldError {
  const supported = valid.length ? 'supported values: ' + valid.map((s) => goQuote(s)).join(', ') : '';
  return { type: 'FieldValueNotSupported', field, detail: withDetail(`Unsupported value: ${formatValue(value)}`, supported) };
}

export function duplicate(field: string, value: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field, detail: `Duplicate value: ${formatValue(value)}` };
}

export function notFound(field: string, value: unknown): FieldError {
  return { type: 'FieldValueNotFound', field, detail: `Not found: ${formatValue(value)}` };
}

export function tooLong(field: string, maxLength: number): FieldError {
  const msg = maxLength >= 0 ? `may not be more than ${maxLength} bytes` : 'value is too long';
  return { type: 'FieldValueTooLong', field, detail: `Too long: ${msg}` };
}

export function tooMany(field: string, actual: number, max: number): FieldError {
  const msg = max >= 0 ? `must have at most ${max} items` : 'has too many items';
  return { type: 'FieldValueTooMany', field, detail: actual >= 0 ? `Too many: ${actual}: ${msg}` : `Too many: ${msg}` };
}

export function internalError(field: string, message: string): FieldError {
  return { type: 'InternalError', field, detail: `Internal error: ${message}` };
}

/** Field paths as field.Path prints them. */
export function child(path: string, ...names: string[]): string {
  let p = path;
  for (const n of names) p = p ? `${p}.${n}` : n;
  return p;
}

export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

/** One Invalid error per message, the common upstream idiom. */
export function invalidEach(field: string, value: unknown, msgs: readonly string[]): FieldError[] {
  return msgs.map((m) => invalid(field, value, m));
}
