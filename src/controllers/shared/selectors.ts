import { fromMetaSelector, matchesLabels, type LabelSelector } from '../../api/selectors/labels.js';
import type { LabelSelectorSpec } from './types.js';

// metav1.LabelSelector semantics for controllers: an empty selector matches
// everything (callers refuse to act on one), a missing selector nothing.

export function selectorFor(s: LabelSelectorSpec | undefined): LabelSelector | undefined {
  if (!s) return undefined;
  try {
    return fromMetaSelector(s);
  } catch {
    return undefined;
  }
}

export function isEmptySelector(s: LabelSelectorSpec | undefined): boolean {
  return !s || (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0);
}

export function selects(s: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  return s !== undefined && matchesLabels(s, labels);
}

/** %v of a *metav1.LabelSelector as Go prints it in event messages: &LabelSelector{MatchLabels:map[string]string{...},MatchExpressions:[]LabelSelectorRequirement{},}. */
export function formatSelectorForEvent(s: LabelSelectorSpec | undefined): string {
  if (!s) return 'nil';
  const labels = Object.keys(s.matchLabels ?? {})
    .sort()
    .map((k) => `${k}: ${s.matchLabels![k]},`)
    .join('');
  const exprs = (s.matchExpressions ?? []).map((e) => `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${(e.values ?? []).join(' ')}],}`).join(',');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`;
}
