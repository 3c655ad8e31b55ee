// Turns a field check into what upstream's create/update/patch handlers send:
// a type mismatch is always a 400 (Go cannot decode the body), unknown and
// duplicate fields are a 400 under fieldValidation=Strict, Warning headers
// under Warn (the default), and nothing under Ignore.

import { badRequest, type StatusError } from '../errors.js';
import type { FieldCheck, FieldTypeError } from './fieldcheck.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

const DIRECTIVES: readonly FieldValidation[] = ['Ignore', 'Strict', 'Warn'];

/** The ?fieldValidation= query value; absent means Warn, as upstream. */
export function parseFieldValidation(value: string | null | undefined): FieldValidation {
  if (value === null || value === undefined || value === '') return 'Warn';
  if ((DIRECTIVES as readonly string[]).includes(value)) return value as FieldValidation;
  throw badRequest(`fieldValidation: Unsupported value: "${value}": supported values: "Ignore", "Strict", "Warn"`);
}

/** Go's wording for a value its JSON decoder cannot store, with our path added where Go's would not say where. */
export function typeErrorMessage(e: FieldTypeError): string {
  if (e.detail) return `${e.path}: ${e.detail}`;
  const where = e.goField.endsWith('.') || !e.path ? `Go value` : `Go struct field ${e.goField}`;
  return `json: cannot unmarshal ${e.got} into ${where} of type ${e.expected}`;
}

export interface DecodeOutcome {
  error?: StatusError;
  /** One Warning header each (299 "-" "unknown field ..."), under Warn. */
  warnings: string[];
}

export function fieldValidationOutcome(opts: {
  kind: string;
  version: string;
  check: FieldCheck;
  duplicates: readonly string[];
  directive: FieldValidation;
}): DecodeOutcome {
  const { kind, version, check, duplicates, directive } = opts;
  const prefix = `${kind} in version "${version}" cannot be handled as a ${kind}`;
  if (check.typeErrors.length) return { error: badRequest(`${prefix}: ${typeErrorMessage(check.typeErrors[0])}`), warnings: [] };
  const strict = [
    ...check.unknownFields.map((f) => `unknown field "${f}"`),
    ...duplicates.map((f) => `duplicate field "${f}"`),
  ];
  if (!strict.length || directive === 'Ignore') return { warnings: [] };
  if (directive === 'Warn') return { warnings: strict };
  return { error: badRequest(`${prefix}: strict decoding error: ${strict.join(', ')}`), warnings: [] };
}
