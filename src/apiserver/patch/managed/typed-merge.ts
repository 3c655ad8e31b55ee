// Merges an apply configuration into the live object (upstream's
// TypedValue.Merge): the configuration's scalars and atomic values win,
// granular maps merge key by key, and keyed lists merge item by item, the
// configuration's items in its order with live-only items kept where they
// were.

import type { SchemaNode } from '../../../api/schema/types.js';
import { hasOwn, isObject, setOwn, type JsonObject } from '../json-value.js';
import { fieldElement, pathText, type PathElement } from './fieldpath.js';
import { TypedError, atomOf, childNode, itemElement, type Atom } from './typed-schema.js';

function isEmptyContainer(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isObject(v) && Object.keys(v).length === 0;
}

function index(atom: Extract<Atom, { kind: 'list' }>, list: unknown, path: PathElement[], allowDuplicates: boolean): { order: PathElement[]; items: Map<PathElement, unknown> } {
  const order: PathElement[] = [];
  const items = new Map<PathElement, unknown>();
  if (!Array.isArray(list)) return { order, items };
  list.forEach((item, i) => {
    let pe: PathElement;
    try {
      pe = itemElement(atom, item);
    } catch (e) {
      if (e instanceof TypedError) throw new TypedError(`${pathText(path)}: element ${i}: ${e.message}`);
      throw e;
    }
    if (items.has(pe)) {
      if (!allowDuplicates) throw new TypedError(`${pathText(path)}: duplicate entries for key ${pathText([pe])}`);
      // A duplicated live item has no single value to merge with.
      items.set(pe, undefined);
    } else {
      items.set(pe, item);
    }
    order.push(pe);
  });
  return { order, items };
}

function mergeLists(path: PathElement[], atom: Extract<Atom, { kind: 'list' }>, lhs: unknown, rhs: unknown): unknown {
  const r = index(atom, rhs, path, false);
  const l = index(atom, lhs, path, true);
  const out: unknown[] = [];
  const emit = (pe: PathElement, lv: unknown, rv: unknown): void => {
    const v = merge([...path, pe], lv, rv, atom.items);
    if (v !== undefined) out.push(v);
  };
  // Items both lists have, in the configuration's order: they set the pace.
  const shared = r.order.filter((pe) => l.items.has(pe));
  let nextShared = 0;
  const emitted = new Set<PathElement>();
  let li = 0;
  let ri = 0;
  while (li < l.order.length || ri < r.order.length) {
    if (li < l.order.length && ri < r.order.length) {
      const pe = l.order[li]!;
      if (pe === r.order[ri]) {
        emitted.add(pe);
        emit(pe, l.items.get(pe), r.items.get(pe));
        li++;
        ri++;
        nextShared++;
        continue;
      }
      if (r.items.has(pe) && nextShared < shared.length && shared[nextShared] !== pe) {
        li++;
        continue;
      }
    }
    if (li < l.order.length) {
      const pe = l.order[li]!;
      if (!r.items.has(pe)) {
        emit(pe, (lhs as unknown[])[li], undefined);
        li++;
        continue;
      }
      if (emitted.has(pe)) li++;
    }
    if (ri < r.order.length) {
      const pe = r.order[ri]!;
      emitted.add(pe);
      emit(pe, l.items.get(pe), r.items.get(pe));
      ri++;
      if (shared[nextShared] === pe) nextShared++;
    }
  }
  return out.length > 0 ? out : undefined;
}

/** The merge of live (lhs) and configured (rhs) values; undefined means absent. */
export function merge(path: PathElement[], lhs: unknown, rhs: unknown, node: SchemaNode | undefined): unknown {
  const atom = atomOf(node, rhs !== undefined && rhs !== null ? rhs : lhs);
  const keepRhs = (): unknown => (rhs !== undefined ? rhs : lhs);
  if (atom.kind === 'scalar' || atom.atomic) return keepRhs();
  // A live value of another shape than the configuration's does not merge.
  if (rhs !== undefined && lhs !== undefined && atomOf(node, lhs).kind !== atom.kind) lhs = undefined;
  if (isEmptyContainer(lhs) && isEmptyContainer(rhs)) return keepRhs();
  if (atom.kind === 'list') return mergeLists(path, atom, lhs, rhs);
  const lm = isObject(lhs) ? lhs : {};
  const rm = isObject(rhs) ? rhs : {};
  const out: JsonObject = {};
  for (const key of [...Object.keys(lm), ...Object.keys(rm).filter((k) => !hasOwn(lm, k))]) {
    const v = merge([...path, fieldElement(key)], hasOwn(lm, key) ? lm[key] : undefined, hasOwn(rm, key) ? rm[key] : undefined, childNode(atom.node, key));
    if (v !== undefined) setOwn(out, key, v);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
