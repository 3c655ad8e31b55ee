// What strategic merge patch needs to know about a field, read from the
// kind's OpenAPI schema (upstream reads the same facts from Go struct tags),
// and the errors it reports, grouped by the HTTP status upstream gives them.

import { StatusError, badRequest, unknownError, unprocessableEntity } from '../../../api/errors.js';
import type { SchemaNode } from '../../../api/schema/types.js';
import { goFormat, goTypeName } from '../json-value.js';

export const DIRECTIVE = '$patch';
export const RETAIN_KEYS = '$retainKeys';
export const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
export const SET_ELEMENT_ORDER = '$setElementOrder';

export interface FieldMeta {
  /** The field's own schema node (for a list, the list's). */
  node: SchemaNode | undefined;
  /** 'merge', 'replace' or '' (lists replaced, maps merged). */
  strategy: string;
  mergeKey: string;
}

export function fieldMeta(parent: SchemaNode | undefined, key: string): FieldMeta {
  const node = parent?.properties?.[key] ?? parent?.additionalProperties;
  const strategies = (node?.['x-kubernetes-patch-strategy'] ?? '').split(',').filter((s) => s && s !== 'retainKeys');
  return { node, strategy: strategies[0] ?? '', mergeKey: node?.['x-kubernetes-patch-merge-key'] ?? '' };
}

// Upstream maps these sentinel errors to 400 BadRequest.
export const badPrimitiveListFormat = (): StatusError => badRequest('invalid patch format of primitive list');
export const badRetainKeysFormat = (): StatusError => badRequest('invalid patch format of retainKeys');
export const badSetElementOrderFormat = (): StatusError => badRequest('invalid patch format of setElementOrder list');

// ... these to 422 with a fixed message ...
export const noListOfLists = (): StatusError => {
  const err = unprocessableEntity();
  err.cause = new Error('lists of lists are not supported');
  return err;
};

// ... and every other error is a plain Go error: 500 with its own text.
export const noMergeKey = (m: unknown, key: string): StatusError =>
  unknownError(`map: ${goFormat(m)} does not contain declared merge key: ${key}`);
export const badArgType = (expected: string, actual: unknown): StatusError =>
  unknownError(`expected a ${expected}, but received a ${goTypeName(actual)}`);
export const badPatchType = (t: unknown, m: unknown): StatusError => unknownError(`unknown patch type: ${String(t)} in map: ${goFormat(m)}`);
export { unknownError };

/** The field a `$prefix/field` directive key names. */
export function directiveTarget(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    throw prefix === DELETE_FROM_PRIMITIVE_LIST ? badPrimitiveListFormat() : badSetElementOrderFormat();
  }
  return key.slice(slash + 1);
}
