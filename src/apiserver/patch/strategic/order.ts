// The order of a merged list, as upstream decides it: items named by the patch
// (or its $setElementOrder list) keep the patch's order, items only the server
// has keep theirs, and the two interleave so that a server-only item stays in
// front of a patch item it preceded in the live list.

import { goFormat, hasOwn, isObject } from '../json-value.js';
import { DIRECTIVE, badArgType, noMergeKey, unknownError } from './meta.js';

export type ElementKind = 'map' | 'scalar';

function identity(item: unknown, mergeKey: string, kind: ElementKind): unknown {
  if (kind !== 'map') return item;
  return isObject(item) ? item[mergeKey] : undefined;
}

function indexIn(list: readonly unknown[], item: unknown, mergeKey: string, kind: ElementKind): number {
  const id = identity(item, mergeKey, kind);
  return list.findIndex((x) => identity(x, mergeKey, kind) === id);
}

/** Every item is a map carrying the merge key. */
export function requireMergeKeys(mergeKey: string, ...lists: readonly unknown[][]): void {
  for (const list of lists) {
    for (const item of list) {
      if (!isObject(item)) throw badArgType('map[string]interface {}', item);
      if (!hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
    }
  }
}

/** Splits maps into those without and those with `$patch: delete`. */
export function splitDeletions(list: readonly unknown[]): [unknown[], unknown[]] {
  const keep: unknown[] = [];
  const del: unknown[] = [];
  for (const item of list) {
    if (!isObject(item)) throw badArgType('map[string]interface {}', item);
    (item[DIRECTIVE] === 'delete' ? del : keep).push(item);
  }
  return [keep, del];
}

function sortByOrder(items: unknown[], order: readonly unknown[], mergeKey: string, kind: ElementKind): unknown[] {
  let toDelete: unknown[] = [];
  if (kind === 'map') {
    requireMergeKeys(mergeKey, items, order as unknown[]);
    [items, toDelete] = splitDeletions(items);
  }
  const ranked = items.map((item, i) => ({ item, i, at: indexIn(order, item, mergeKey, kind) }));
  ranked.sort((a, b) => (a.at >= 0 && b.at >= 0 && a.at !== b.at ? a.at - b.at : a.i - b.i));
  return [...ranked.map((r) => r.item), ...toDelete];
}

/** Interleaves server-only items into the patch items, both already in their own order. */
function interleave(serverOnly: unknown[], patchItems: unknown[], serverOrder: readonly unknown[], mergeKey: string, kind: ElementKind): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < patchItems.length) {
    if (i >= serverOnly.length) out.push(patchItems[j++]);
    else if (j >= patchItems.length) out.push(serverOnly[i++]);
    else {
      const li = indexIn(serverOrder, serverOnly[i], mergeKey, kind);
      const ri = indexIn(serverOrder, patchItems[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(serverOnly[i++]);
      else out.push(patchItems[j++]);
    }
  }
  return out;
}

export function normalizeElementOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: readonly unknown[],
  serverOrder: readonly unknown[],
  mergeKey: string,
  kind: ElementKind,
): unknown[] {
  const p = sortByOrder(patchItems, patchOrder, mergeKey, kind);
  const s = sortByOrder(serverOnly, serverOrder, mergeKey, kind);
  return interleave(s, p, serverOrder, mergeKey, kind);
}

/** Splits list into the items named by `by` and the rest. */
export function partition(list: readonly unknown[], by: readonly unknown[], mergeKey: string): [unknown[], unknown[]] {
  const named: unknown[] = [];
  const rest: unknown[] = [];
  if (!mergeKey) {
    for (const v of list) (by.includes(v) ? named : rest).push(v);
    return [named, rest];
  }
  for (const v of list) {
    if (!isObject(v)) throw badArgType('map[string]interface {}', v);
    if (!hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
    const found = by.some((b) => isObject(b) && hasOwn(b, mergeKey) && b[mergeKey] === v[mergeKey]);
    (found ? named : rest).push(v);
  }
  return [named, rest];
}

function sameMergeKey(left: unknown, right: unknown, mergeKey: string): boolean {
  if (!mergeKey) return left === right;
  if (!isObject(left)) throw badArgType('map[string]interface {}', left);
  if (!isObject(right)) throw badArgType('map[string]interface {}', right);
  if (!hasOwn(left, mergeKey)) throw noMergeKey(left, mergeKey);
  if (!hasOwn(right, mergeKey)) throw noMergeKey(right, mergeKey);
  return left[mergeKey] === right[mergeKey];
}

/** The patch list's items (deletions aside) must appear in $setElementOrder, in the same relative order. */
export function checkAgainstSetOrder(patchList: readonly unknown[], setOrder: readonly unknown[], mergeKey: string): void {
  if (patchList.length === 0 || setOrder.length === 0) return;
  const items = mergeKey ? splitDeletions(patchList)[0] : [...patchList];
  let p = 0;
  let s = 0;
  while (p < items.length && s < setOrder.length) {
    const item = items[p];
    if (isObject(item) && hasOwn(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (sameMergeKey(item, setOrder[s], mergeKey)) p++;
    s++;
  }
  if (p < items.length) {
    throw unknownError(`The order in patch list:\n${goFormat(patchList)}\n doesn't match $setElementOrder list:\n${goFormat(setOrder)}\n`);
  }
}
