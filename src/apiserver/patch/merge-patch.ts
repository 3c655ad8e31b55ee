// RFC 7386 JSON merge patch: objects merge key by key, null removes a key,
// anything else (arrays included) replaces. New values are stored without
// their null members, as upstream's library prunes them.

import { badRequest } from '../../api/errors.js';
import { clone, hasOwn, isObject, setOwn, withoutNullMembers, type JsonObject } from './json-value.js';

/** Merges patch into target in place when target is an object, else into a new object. */
function mergeInto(target: unknown, patch: JsonObject): JsonObject {
  const out: JsonObject = isObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      if (hasOwn(out, key)) delete out[key];
    } else if (isObject(value)) {
      setOwn(out, key, mergeInto(hasOwn(out, key) ? out[key] : undefined, value));
    } else {
      setOwn(out, key, withoutNullMembers(value));
    }
  }
  return out;
}

/** Applies a merge patch to a copy of target (which is not changed). */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  // Upstream's ErrBadJSONPatch: 400 for a patch that is not a JSON object.
  if (!isObject(patch)) throw badRequest('Invalid JSON Patch');
  return mergeInto(clone(target), clone(patch));
}
