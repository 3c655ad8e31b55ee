// The set of fields a value sets (upstream's TypedValue.ToFieldSet): every
// scalar, every atomic list or map as a whole, every list item, plus map
// entries that are empty, null, or keys of a map rather than struct fields.

import type { SchemaNode } from '../../../api/schema/types.js';
import { isObject } from '../json-value.js';
import { FieldSet, fieldElement, pathText, type PathElement } from './fieldpath.js';
import { TypedError, atomOf, childNode, isDeclaredField, isUnknownField, itemElement } from './typed-schema.js';

/**
 * Fields of value. With strict, a field the schema does not declare is a
 * TypedError, as it is for upstream's apply configurations.
 */
export function toFieldSet(value: unknown, node: SchemaNode | undefined, strict = false): FieldSet {
  const out = new FieldSet();
  const walk = (path: PathElement[], v: unknown, n: SchemaNode | undefined): void => {
    const atom = atomOf(n, v);
    if (atom.kind === 'scalar') {
      out.insert(path);
      return;
    }
    if (atom.atomic) {
      out.insert(path);
      return;
    }
    if (atom.kind === 'list') {
      if (!Array.isArray(v)) return;
      const elements = v.map((item) => {
        try {
          return itemElement(atom, item);
        } catch (e) {
          if (e instanceof TypedError) throw new TypedError(`${pathText(path)}: ${e.message}`);
          throw e;
        }
      });
      const seen = new Set<string>();
      const dups = new Set<string>();
      for (const pe of elements) (seen.has(pe) ? dups : seen).add(pe);
      for (const pe of dups) out.insert([...path, pe]);
      v.forEach((item, i) => {
        const pe = elements[i]!;
        if (dups.has(pe)) return;
        walk([...path, pe], item, atom.items);
        out.insert([...path, pe]);
      });
      return;
    }
    if (!isObject(v)) return;
    for (const [key, child] of Object.entries(v)) {
      const childPath = [...path, fieldElement(key)];
      if (strict && isUnknownField(atom.node, key)) throw new TypedError(`${pathText(childPath)}: field not declared in schema`);
      walk(childPath, child, childNode(atom.node, key));
      if (child === null || (isObject(child) && Object.keys(child).length === 0) || !isDeclaredField(atom.node, key)) {
        out.insert(childPath);
      }
    }
  };
  walk([], value, node);
  return out;
}
