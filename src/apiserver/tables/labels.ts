// Label maps and label selectors rendered as upstream's labels.FormatLabels,
// metav1.FormatLabelSelector and Selector.String() render them (sorted keys,
// "k in (a,b)", "!k"), which is what SELECTOR and NODE SELECTOR cells show.

import { arr, rec, str, strMap } from './fields.js';

/** labels.FormatLabels: sorted "k=v" pairs, "<none>" for an empty map. */
export function formatLabels(labels: unknown): string {
  const m = strMap(labels);
  const keys = Object.keys(m).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${m[k]}`).join(',');
}

interface Requirement {
  key: string;
  text: string;
}

function requirementText(key: string, op: string, values: string[]): string | undefined {
  const vals = [...values].sort().join(',');
  switch (op) {
    case 'In':
      return values.length ? `${key} in (${vals})` : undefined;
    case 'NotIn':
      return values.length ? `${key} notin (${vals})` : undefined;
    case 'Exists':
      return values.length ? undefined : key;
    case 'DoesNotExist':
      return values.length ? undefined : `!${key}`;
    default:
      return undefined;
  }
}

/**
 * metav1.LabelSelectorAsSelector(...).String(). Returns undefined when the
 * selector is invalid (upstream then prints "<error>" or "<invalid>"), and ""
 * for a nil or empty selector.
 */
export function selectorString(selector: unknown): string | undefined {
  if (selector === null || selector === undefined) return '';
  const s = rec(selector);
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(strMap(s.matchLabels))) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of arr(s.matchExpressions)) {
    const expr = rec(e);
    const key = str(expr.key);
    const text = requirementText(key, str(expr.operator), arr(expr.values).map(str));
    if (text === undefined) return undefined;
    reqs.push({ key, text });
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(',');
}

/** metav1.FormatLabelSelector: "<none>" when empty, "<error>" when invalid. */
export function formatLabelSelector(selector: unknown): string {
  const s = selectorString(selector);
  if (s === undefined) return '<error>';
  return s === '' ? '<none>' : s;
}
