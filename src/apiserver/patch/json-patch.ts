// RFC 6902 JSON patch with the semantics of the library upstream uses
// (evanphx/json-patch v4), not the RFC's letter: `replace` of a missing object
// key adds it, negative array indices count from the end, a `test` of a missing
// member against null (or no value) passes, and a path's first segment is
// skipped whatever it is. fast-json-patch differs on each of these and reports
// other errors, so this is our own small interpreter.
//
// Errors: a body that does not decode as a list of operations is 400
// BadRequest; more than 10000 operations is 413; any operation that fails is
// 422 with upstream's fixed text ("the server rejected our request due to an
// error in our request"), which hides the cause from clients just as upstream
// does. The cause stays on the error's `cause` for logs.

import { badRequest, requestEntityTooLarge, unprocessableEntity } from '../../api/errors.js';
import { clone, deepEqual, hasOwn, isObject, setOwn, type JsonObject } from './json-value.js';

const MAX_OPERATIONS = 10000;

type Container = JsonObject | unknown[];

class OpError extends Error {}

/** Go's name for a JSON value's kind in "cannot unmarshal X into Go value" messages. */
function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

function decodeOperations(patch: unknown): (JsonObject | null)[] {
  if (patch === null || patch === undefined) return [];
  if (!Array.isArray(patch)) {
    throw badRequest(`json: cannot unmarshal ${jsonKind(patch)} into Go value of type jsonpatch.Patch`);
  }
  for (const op of patch) {
    if (op !== null && !isObject(op)) {
      throw badRequest(`json: cannot unmarshal ${jsonKind(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  if (patch.length > MAX_OPERATIONS) {
    throw requestEntityTooLarge(`The allowed maximum operations in a JSON patch is ${MAX_OPERATIONS}, got ${patch.length}`);
  }
  return patch as (JsonObject | null)[];
}

function stringField(op: JsonObject, name: 'path' | 'from'): string {
  const v = op[name];
  if (typeof v !== 'string') throw new OpError(`operation missing ${name} field`);
  return v;
}

function decodeKey(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The container a path points into and the last (decoded) key, or undefined when the path does not resolve. */
function locate(doc: Container, path: string): { con: Container; key: string } | undefined {
  const parts = path.split('/');
  if (parts.length < 2) return undefined;
  let cur: unknown = doc;
  for (const raw of parts.slice(1, -1)) {
    const next = get(cur as Container, decodeKey(raw));
    if (next === undefined || next === null || typeof next !== 'object') return undefined;
    cur = next;
  }
  return { con: cur as Container, key: decodeKey(parts[parts.length - 1]!) };
}

function arrayIndex(arr: unknown[], key: string, size: number): number {
  if (!/^[+-]?\d+$/.test(key)) throw new OpError(`value was not a proper array index: '${key}'`);
  let idx = Number(key);
  if (idx >= size || idx < -size) throw new OpError(`Unable to access invalid index: ${idx}`);
  if (idx < 0) idx += size;
  return idx;
}

/** The member at key; undefined for a missing object member; throws for a bad array index. */
function get(con: Container, key: string): unknown {
  if (Array.isArray(con)) return con[arrayIndex(con, key, con.length)];
  return hasOwn(con, key) ? con[key] : undefined;
}

function add(con: Container, key: string, value: unknown): void {
  if (!Array.isArray(con)) {
    setOwn(con, key, value);
    return;
  }
  if (key === '-') {
    con.push(value);
    return;
  }
  con.splice(arrayIndex(con, key, con.length + 1), 0, value);
}

function remove(con: Container, key: string): void {
  if (!Array.isArray(con)) {
    if (!hasOwn(con, key)) throw new OpError(`Unable to remove nonexistent key: ${key}`);
    delete con[key];
    return;
  }
  con.splice(arrayIndex(con, key, con.length), 1);
}

function set(con: Container, key: string, value: unknown): void {
  if (Array.isArray(con)) con[arrayIndex(con, key, con.length)] = value;
  else setOwn(con, key, value);
}

function must(doc: Container, path: string, what: string): { con: Container; key: string } {
  const at = locate(doc, path);
  if (!at) throw new OpError(`${what}: "${path}"`);
  return at;
}

function applyOne(doc: Container, op: JsonObject | null): void {
  const kind = op && typeof op.op === 'string' ? op.op : 'unknown';
  // A missing "value" member is JSON null to upstream.
  const value = op && hasOwn(op, 'value') ? op.value : null;
  switch (kind) {
    case 'add': {
      const at = must(doc, stringField(op!, 'path'), 'add operation does not apply: doc is missing path');
      add(at.con, at.key, clone(value));
      return;
    }
    case 'remove': {
      const at = must(doc, stringField(op!, 'path'), 'remove operation does not apply: doc is missing path');
      remove(at.con, at.key);
      return;
    }
    case 'replace': {
      const path = stringField(op!, 'path');
      const at = must(doc, path, 'replace operation does not apply: doc is missing path');
      get(at.con, at.key);
      set(at.con, at.key, clone(value));
      return;
    }
    case 'move': {
      const from = must(doc, stringField(op!, 'from'), 'move operation does not apply: doc is missing from path');
      const moved = get(from.con, from.key);
      remove(from.con, from.key);
      const to = must(doc, stringField(op!, 'path'), 'move operation does not apply: doc is missing destination path');
      add(to.con, to.key, moved);
      return;
    }
    case 'copy': {
      const from = must(doc, stringField(op!, 'from'), 'copy operation does not apply: doc is missing from path');
      const copied = get(from.con, from.key);
      const to = must(doc, stringField(op!, 'path'), 'copy operation does not apply: doc is missing destination path');
      add(to.con, to.key, copied === undefined ? null : clone(copied));
      return;
    }
    case 'test': {
      const path = stringField(op!, 'path');
      const at = must(doc, path, 'test operation does not apply: is missing path');
      const actual = get(at.con, at.key);
      // Upstream cannot tell a missing member from a null one.
      if (actual === undefined || actual === null) {
        if (value === null) return;
      } else if (deepEqual(actual, value)) {
        return;
      }
      throw new OpError(`testing value ${path} failed`);
    }
    default:
      throw new OpError(`Unexpected kind: ${kind}`);
  }
}

/** Applies an RFC 6902 patch to a copy of target (which is not changed). */
export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  const ops = decodeOperations(patch);
  const doc = clone(target);
  if (typeof doc !== 'object' || doc === null) throw badRequest('the object to patch must be a JSON object or array');
  for (const op of ops) {
    try {
      applyOne(doc as Container, op);
    } catch (e) {
      if (!(e instanceof OpError)) throw e;
      const err = unprocessableEntity();
      err.cause = e;
      throw err;
    }
  }
  return doc;
}
