// Removes a set of fields from a value (upstream's TypedValue.RemoveItems):
// a member of the set goes with everything below it; a list or map emptied
// this way goes too (upstream leaves a null there, which decodes to nothing).

import type { SchemaNode } from '../../../api/schema/types.js';
import { isObject, setOwn, type JsonObject } from '../json-value.js';
import { fieldElement, type FieldSet, type PathElement } from './fieldpath.js';
import { atomOf, childNode, itemElement } from './typed-schema.js';

/** value without the members of toRemove; undefined when nothing is left of a list or map. */
function removeAt(path: PathElement[], value: unknown, node: SchemaNode | undefined, toRemove: FieldSet): unknown {
  const atom = atomOf(node, value);
  if (atom.kind === 'scalar' || atom.atomic) return value;
  if (atom.kind === 'list') {
    if (!Array.isArray(value) || value.length === 0) return value;
    const out: unknown[] = [];
    for (const item of value) {
      const itemPath = [...path, itemElement(atom, item)];
      if (toRemove.has(itemPath)) continue;
      const kept = toRemove.hasBelow(itemPath) ? removeAt(itemPath, item, atom.items, toRemove) : item;
      if (kept !== undefined) out.push(kept);
    }
    return out.length > 0 ? out : undefined;
  }
  if (!isObject(value) || Object.keys(value).length === 0) return value;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    const childPath = [...path, fieldElement(key)];
    if (toRemove.has(childPath)) continue;
    const kept = toRemove.hasBelow(childPath) ? removeAt(childPath, child, childNode(atom.node, key), toRemove) : child;
    if (kept !== undefined) setOwn(out, key, kept);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function removeItems(value: JsonObject, node: SchemaNode | undefined, toRemove: FieldSet): JsonObject {
  if (toRemove.isEmpty()) return value;
  const out = removeAt([], value, node, toRemove);
  return isObject(out) ? out : {};
}
