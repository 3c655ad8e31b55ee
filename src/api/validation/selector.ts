// metav1.LabelSelector: validation with upstream's messages, evaluation with
// upstream's nil-vs-empty semantics (nil selects nothing, {} selects all).

import { child, forbidden, GoSyntax, goQuote, goStringMap, goStringSlice, index, invalid, required, type FieldError } from './field.js';
import { isQualifiedName, isValidLabelValue } from './names.js';
import { asRecord, asArray, str } from './util.js';

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export function validateLabelName(name: string, field: string): FieldError[] {
  return isQualifiedName(name).map((m) => invalid(field, name, m));
}

/** ValidateLabels: errors sit on the map's path, not the key's. */
export function validateLabels(labels: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(asRecord(labels) ?? {})) {
    errs.push(...validateLabelName(k, field));
    const value = typeof v === 'string' ? v : String(v);
    errs.push(...isValidLabelValue(value).map((m) => invalid(field, value, m)));
  }
  return errs;
}

export function validateLabelSelector(sel: unknown, fieldPath: string): FieldError[] {
  const s = asRecord(sel);
  if (!s) return [];
  const errs = validateLabels(s.matchLabels, child(fieldPath, 'matchLabels'));
  asArray(s.matchExpressions).forEach((raw, i) => {
    const expr = asRecord(raw) ?? {};
    const p = index(child(fieldPath, 'matchExpressions'), i);
    const values = asArray(expr.values).map((v) => str(v));
    const op = str(expr.operator);
    switch (op) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errs.push(forbidden(child(p, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(invalid(child(p, 'operator'), op, 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(str(expr.key), child(p, 'key')));
    values.forEach((v, j) => errs.push(...isValidLabelValue(v).map((m) => invalid(index(child(p, 'values'), j), v, m))));
  });
  return errs;
}

export type Matcher = { empty: boolean; matches: (labels: Record<string, string>) => boolean };

const NOTHING: Matcher = { empty: false, matches: () => false };

/** LabelSelectorAsSelector; undefined when the selector cannot be converted (upstream returns an error). */
export function selectorFor(sel: unknown): Matcher | undefined {
  if (sel === undefined || sel === null) return NOTHING;
  const s = asRecord(sel);
  if (!s) return undefined;
  const tests: ((l: Record<string, string>) => boolean)[] = [];
  for (const [k, v] of Object.entries(asRecord(s.matchLabels) ?? {})) tests.push((l) => l[k] === v);
  for (const raw of asArray(s.matchExpressions)) {
    const e = asRecord(raw) ?? {};
    const k = str(e.key);
    const values = asArray(e.values).map((v) => str(v));
    switch (e.operator) {
      case 'In':
        if (!values.length) return undefined;
        tests.push((l) => k in l && values.includes(l[k]));
        break;
      case 'NotIn':
        if (!values.length) return undefined;
        tests.push((l) => !(k in l) || !values.includes(l[k]));
        break;
      case 'Exists':
        if (values.length) return undefined;
        tests.push((l) => k in l);
        break;
      case 'DoesNotExist':
        if (values.length) return undefined;
        tests.push((l) => !(k in l));
        break;
      default:
        return undefined;
    }
  }
  return { empty: tests.length === 0, matches: (l) => tests.every((t) => t(l)) };
}

/** labels.Set(m).AsSelector(): the map-based selectors of RCs and services. */
export function mapSelector(m: Record<string, string> | undefined): Matcher {
  const entries = Object.entries(m ?? {});
  return { empty: entries.length === 0, matches: (l) => entries.every(([k, v]) => l[k] === v) };
}

/** %#v of a *metav1.LabelSelector, as printed in immutability errors. */
export function goLabelSelector(sel: unknown): GoSyntax {
  const s = asRecord(sel);
  if (!s) return new GoSyntax('null');
  const ml = asRecord(s.matchLabels) as Record<string, string> | undefined;
  const exprs = asArray(s.matchExpressions).map((raw) => {
    const e = asRecord(raw) ?? {};
    const values = e.values === undefined ? null : asArray(e.values).map((v) => str(v));
    return `v1.LabelSelectorRequirement{Key:${goQuote(str(e.key))}, Operator:${goQuote(str(e.operator))}, Values:${goStringSlice(values).text}}`;
  });
  const me = s.matchExpressions === undefined ? '[]v1.LabelSelectorRequirement(nil)' : `[]v1.LabelSelectorRequirement{${exprs.join(', ')}}`;
  return new GoSyntax(`v1.LabelSelector{MatchLabels:${goStringMap(ml).text}, MatchExpressions:${me}}`);
}
