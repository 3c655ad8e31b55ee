import { fromMetaSelector, matchesLabels, type LabelSelector } from '../../api/selectors/labels.js';
import type { MetaLabelSelector } from '../framework/types.js';

// metav1.LabelSelector semantics the scheduler needs: a nil selector matches
// nothing, an empty one matches everything.

export type CompiledSelector = LabelSelector | null;

export function compileSelector(s: MetaLabelSelector | null | undefined): CompiledSelector {
  if (!s) return null;
  return fromMetaSelector(s);
}

export function selectorMatches(sel: CompiledSelector, labels: Record<string, string> | undefined): boolean {
  return sel !== null && matchesLabels(sel, labels);
}
