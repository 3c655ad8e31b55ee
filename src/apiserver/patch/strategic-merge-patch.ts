// Strategic merge patch (application/strategic-merge-patch+json), the patch
// kubectl sends for `kubectl patch` by default and for client-side `kubectl
// apply`. Lists whose schema says `x-kubernetes-patch-strategy: merge` are
// merged by their merge key (or as sets, for scalars); the directives $patch,
// $retainKeys, $setElementOrder/<list> and $deleteFromPrimitiveList/<list>
// steer the merge.

import { badRequest } from '../../api/errors.js';
import type { SchemaNode } from '../../api/schema/types.js';
import { clone, isObject } from './json-value.js';
import { applyMergePatch } from './merge-patch.js';
import { mergeMap } from './strategic/merge.js';

function goDecodeKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/**
 * Applies a strategic merge patch to a copy of target (neither argument is
 * changed). schema is the kind's top-level node; without one the patch is a
 * JSON merge patch.
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown, schema: SchemaNode | undefined): unknown {
  // Decoding JSON null into a Go map succeeds and patches nothing.
  if (patch === null || patch === undefined) return clone(target);
  if (!isObject(patch)) {
    throw badRequest(`json: cannot unmarshal ${goDecodeKind(patch)} into Go value of type map[string]interface {}`);
  }
  if (!schema) return applyMergePatch(target, patch);
  const original = isObject(target) ? clone(target) : {};
  return mergeMap(original, clone(patch), schema);
}
