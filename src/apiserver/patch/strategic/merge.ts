// The server half of strategic merge patch (upstream's mergeMap/mergeSlice):
// merges a patch, directives and all, into an object the caller owns. Both
// arguments are consumed: they are changed in place, so pass copies.
//
// Where upstream stores a patch value verbatim because the live object lacks
// the field, we merge it into an empty value instead, so directives and nulls
// inside it are processed rather than stored (upstream drops them later, when
// it decodes into Go structs; we keep plain JSON and would not).

import { goFormat, goTypeName, hasOwn, isObject, setOwn, type JsonObject } from '../json-value.js';
import type { SchemaNode } from '../../../api/schema/types.js';
import {
  DELETE_FROM_PRIMITIVE_LIST,
  DIRECTIVE,
  RETAIN_KEYS,
  SET_ELEMENT_ORDER,
  badArgType,
  badPatchType,
  badRetainKeysFormat,
  directiveTarget,
  fieldMeta,
  noListOfLists,
  noMergeKey,
  unknownError,
  type FieldMeta,
} from './meta.js';
import { checkAgainstSetOrder, normalizeElementOrder, partition, type ElementKind } from './order.js';

/** `$patch` on a map: replace it with the rest of the patch, or empty it. */
function mapDirective(directive: unknown, patch: JsonObject, node: SchemaNode | undefined): JsonObject {
  if (directive === 'replace') {
    delete patch[DIRECTIVE];
    return mergeMap({}, patch, node);
  }
  if (directive === 'delete') return {};
  throw badPatchType(directive, patch);
}

/** `$retainKeys`: drop every field of original the list does not name. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!hasOwn(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw badRetainKeysFormat();
  const retained = new Set(list);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!retained.has(k)) throw badRetainKeysFormat();
  }
  for (const k of Object.keys(original)) if (!retained.has(k)) delete original[k];
}

/** The common kind of the items of some lists (upstream's sliceElementType). */
function elementKind(...lists: readonly unknown[][]): ElementKind | undefined {
  let seen: string | undefined;
  for (const list of lists) {
    for (const v of list) {
      const t = goTypeName(v);
      if (seen === undefined) {
        if (Array.isArray(v)) throw noListOfLists();
        seen = t;
      } else if (seen !== t) {
        throw unknownError(`list element types are not identical: ${goFormat(lists)}`);
      }
    }
  }
  if (seen === undefined) return undefined;
  return seen === 'map[string]interface {}' ? 'map' : 'scalar';
}

function isContainer(v: unknown): boolean {
  return typeof v === 'object' && v !== null;
}

function asList(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw badArgType('[]interface {}', v);
  return v;
}

/** A patch value for a field the original lacks (or holds with another JSON type). */
function fresh(value: unknown, meta: FieldMeta): unknown {
  if (isObject(value)) return meta.strategy === 'replace' ? value : mergeMap({}, value, meta.node);
  if (Array.isArray(value)) return mergeList([], value, meta, false);
  return value;
}

function mergeList(original: unknown[], patch: unknown[], meta: FieldMeta, isDeleteList: boolean): unknown[] {
  if (meta.strategy === 'merge') return mergeSlice(original, patch, meta.node?.items, meta.mergeKey, isDeleteList);
  const items = meta.node?.items;
  return patch.map((v) => (isObject(v) ? mergeMap({}, v, items) : v));
}

/** `$setElementOrder/<field>`: merge that field's list now and order it as the directive says. */
function mergeOrderedLists(original: JsonObject, patch: JsonObject, node: SchemaNode | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key];
    delete patch[key];
    const setOrder = asList(order);
    const field = directiveTarget(key, SET_ELEMENT_ORDER);
    const foundOriginal = hasOwn(original, field);
    const foundPatch = hasOwn(patch, field);
    const originalList = foundOriginal ? asList(original[field]) : [];
    const patchList = foundPatch ? asList(patch[field]) : [];
    const meta = fieldMeta(node, field);
    checkAgainstSetOrder(patchList, setOrder, meta.mergeKey);
    if (!foundOriginal && !foundPatch) continue;
    const merged = !foundPatch
      ? originalList
      : !foundOriginal
        ? mergeList([], patchList, meta, false)
        : mergeList(originalList, patchList, meta, false);
    delete patch[field];
    const kind = elementKind(merged);
    if (kind === undefined) {
      setOwn(original, field, merged);
      continue;
    }
    const [named, serverOnly] = partition(merged, setOrder, meta.mergeKey);
    setOwn(original, field, normalizeElementOrder(named, serverOnly, setOrder, originalList, meta.mergeKey, kind));
  }
}

export function mergeMap(original: JsonObject, patch: JsonObject, node: SchemaNode | undefined): JsonObject {
  if (hasOwn(patch, DIRECTIVE)) return mapDirective(patch[DIRECTIVE], patch, node);
  applyRetainKeys(original, patch);
  mergeOrderedLists(original, patch, node);

  for (const [patchKey, patchValue] of Object.entries(patch)) {
    let key = patchKey;
    let isDeleteList = false;
    if (patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      key = directiveTarget(patchKey, DELETE_FROM_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    if (patchValue === null) {
      delete original[key];
      continue;
    }
    const meta = fieldMeta(node, key);
    const has = hasOwn(original, key);
    const current = has ? original[key] : undefined;
    if (isDeleteList) {
      // Deleting from a list that is not there leaves nothing to do (upstream
      // would store the deletion list itself as the field's value).
      if (Array.isArray(current) && Array.isArray(patchValue)) setOwn(original, key, mergeSlice(current, patchValue, meta.node?.items, meta.mergeKey, true));
      continue;
    }
    if (!has || (goTypeName(current) !== goTypeName(patchValue) && (isContainer(current) || isContainer(patchValue)))) {
      setOwn(original, key, fresh(patchValue, meta));
    } else if (isObject(current)) {
      setOwn(original, key, meta.strategy === 'replace' ? patchValue : mergeMap(current, patchValue as JsonObject, meta.node));
    } else if (Array.isArray(current)) {
      setOwn(original, key, mergeList(current, patchValue as unknown[], meta, false));
    } else {
      setOwn(original, key, patchValue);
    }
  }
  return original;
}

/** `$patch` items of a merging list of maps: deletions apply now; `replace` makes the rest of the patch the whole list. */
function applySpecialElements(original: unknown[], patch: unknown[], mergeKey: string, items: SchemaNode | undefined): [unknown[], unknown[]] {
  const plain: unknown[] = [];
  let replace = false;
  for (const v of patch) {
    const m = v as JsonObject;
    if (!hasOwn(m, DIRECTIVE)) {
      plain.push(v);
      continue;
    }
    const directive = m[DIRECTIVE];
    if (directive === 'delete') {
      if (!hasOwn(m, mergeKey)) throw noMergeKey(m, mergeKey);
      original = original.filter((o) => !(isObject(o) && hasOwn(o, mergeKey) && o[mergeKey] === m[mergeKey]));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw unknownError('merging lists cannot yet be specified in the patch');
    } else {
      throw badPatchType(directive, m);
    }
  }
  if (replace) return [plain.map((v) => mergeMap({}, v as JsonObject, items)), []];
  return [original, plain];
}

function mergeSlice(original: unknown[], patch: unknown[], items: SchemaNode | undefined, mergeKey: string, isDeleteList: boolean): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch)!;
  let merged: unknown[];
  if (kind === 'scalar') {
    if (isDeleteList) return original.filter((v) => !patch.includes(v));
    merged = [...new Set([...original, ...patch])];
  } else {
    if (!mergeKey) throw unknownError('cannot merge lists without merge key for type struct');
    [original, patch] = applySpecialElements(original, patch, mergeKey, items);
    merged = [...original];
    for (const v of patch) {
      const m = v as JsonObject;
      if (!hasOwn(m, mergeKey)) throw noMergeKey(m, mergeKey);
      const at = merged.findIndex((o) => isObject(o) && hasOwn(o, mergeKey) && o[mergeKey] === m[mergeKey]);
      if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, m, items);
      else merged.push(mergeMap({}, m, items));
    }
  }
  const [named, serverOnly] = partition(merged, patch, kind === 'map' ? mergeKey : '');
  return normalizeElementOrder(named, serverOnly, patch, original, kind === 'map' ? mergeKey : '', kind);
}
