// metadata.managedFields for every write, as upstream's FieldManager keeps it:
// updateManagedFields for creates, updates and non-apply patches (operation
// Update), serverSideApply for apply patches (operation Apply). Both follow
// the layers of upstream's default field manager: version check, the
// last-applied annotation bridge for `kubectl`, a cap of ten update entries,
// manager identity, timestamps only for managers that changed something, and
// the metadata fields nobody owns (name, uid, resourceVersion, ...).

import { StatusError, badRequest, unknownError } from '../../api/errors.js';
import type { SchemaNode } from '../../api/schema/types.js';
import type { KubeObject, ManagedFieldsEntry } from '../../api/types.js';
import { clone, deepEqual, isObject, withoutNullMembers, type JsonObject } from './json-value.js';
import { FieldSet, UNOWNED_METADATA, fieldElement, pathText, type Path } from './managed/fieldpath.js';
import { MAX_UPDATE_MANAGERS, capUpdateManagers, compareEntries, decodeManagedFields, emptyManaged, encodeManagedFields, managerIdentifier, parseIdentifier, type Managed } from './managed/managers.js';
import { toFieldSet } from './managed/to-field-set.js';
import { compare } from './managed/compare.js';
import { createdFieldsV1 } from './managed/created-fields.js';
import { TypedError } from './managed/typed-schema.js';
import { ConflictsError, applyOwnership, updateOwnership, type Conflict, type UpdaterOptions } from './managed/updater.js';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Fields no manager ever owns. */
const STRIPPED = FieldSet.of(
  [['apiVersion'], ['kind'], ['metadata'], ...UNOWNED_METADATA.map((f) => ['metadata', f])].map(
    (p) => p.map(fieldElement),
  ),
);

export interface ManagedFieldsOptions {
  manager: string;
  /** The apiVersion the request was made in (apps/v1). */
  apiVersion: string;
  subresource?: string;
  now: string;
  /** The kind's top-level schema; without it lists are atomic and list items are not tracked one by one. */
  schema?: SchemaNode;
  /**
   * Top-level fields this endpoint resets, which nobody owns through it.
   * Defaults to status for the main resource and spec for the status subresource.
   */
  resetFields?: string[];
}

const RESET_MAIN = FieldSet.of([[fieldElement('status')]]);
const RESET_STATUS = FieldSet.of([[fieldElement('spec')]]);
const RESET_NONE = new FieldSet();

/** Callers never change the set they get (FieldSet's algebra makes new sets). */
function resetSet(opts: { subresource?: string; resetFields?: string[] }): FieldSet {
  if (opts.resetFields === undefined) return opts.subresource === undefined ? RESET_MAIN : opts.subresource === 'status' ? RESET_STATUS : RESET_NONE;
  return FieldSet.of(opts.resetFields.map((f) => [fieldElement(f)]));
}

/** A read-only view of obj without managedFields: shares everything else (compare never writes). */
function viewWithoutManagedFields(obj: KubeObject | null): JsonObject {
  if (!obj) return {};
  if (!isObject(obj.metadata) || obj.metadata.managedFields === undefined) return obj;
  const { managedFields: _mf, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

function withoutManagedFields(obj: KubeObject | null): JsonObject {
  if (!obj) return {};
  const copy = clone(obj) as KubeObject;
  if (isObject(copy.metadata)) delete copy.metadata.managedFields;
  return copy;
}

function decodeOrEmpty(entries: unknown): Managed {
  try {
    return decodeManagedFields(entries);
  } catch {
    return emptyManaged();
  }
}

/** [] or [{}] in a request means "start over". */
function isReset(entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  return entries.length === 0 || (entries.length === 1 && isObject(entries[0]) && Object.keys(entries[0]).length === 0);
}

function strip(managed: Managed, id: string): void {
  const vs = managed.fields.get(id);
  if (!vs) return;
  const set = vs.set.difference(STRIPPED);
  if (set.isEmpty()) managed.fields.delete(id);
  else managed.fields.set(id, { ...vs, set });
}

function writeManaged(obj: KubeObject, managed: Managed): void {
  const entries = encodeManagedFields(managed);
  if (!obj.metadata) obj.metadata = {};
  if (entries) obj.metadata.managedFields = entries;
  else delete obj.metadata.managedFields;
}

/** A field path is a member of a fieldsV1 trie: its node is a leaf ({}) or marked with ".". */
function ownsPath(trie: unknown, path: Path): boolean {
  let n = trie;
  for (const pe of path) {
    if (!isObject(n) || !Object.prototype.hasOwnProperty.call(n, pe)) return false;
    n = n[pe];
  }
  if (!isObject(n)) return false;
  for (const k in n) return k === '.' || Object.prototype.hasOwnProperty.call(n, '.');
  return true;
}

/**
 * Whether two entries are one manager: managerIdentifier(a) === managerIdentifier(b)
 * for entries whose names are strings (empty ones are left out of identifiers,
 * and an applier's apiVersion), without building either identifier.
 */
function sameManager(a: ManagedFieldsEntry, b: ManagedFieldsEntry): boolean {
  return (
    (a.manager || '') === (b.manager || '') &&
    (a.operation || '') === (b.operation || '') &&
    (a.operation === 'Apply' || (a.apiVersion || '') === (b.apiVersion || '')) &&
    (a.subresource || '') === (b.subresource || '')
  );
}

/** An entry as encodeManagedFields writes it (its field order, omitempty), with a new time. */
function canonicalEntry(e: ManagedFieldsEntry, time: string | undefined): ManagedFieldsEntry {
  const out: ManagedFieldsEntry = {};
  if (e.manager) out.manager = e.manager;
  out.operation = e.operation;
  out.apiVersion = e.apiVersion;
  if (time) out.time = time;
  out.fieldsType = 'FieldsV1';
  out.fieldsV1 = e.fieldsV1;
  if (e.subresource) out.subresource = e.subresource;
  return out;
}

/**
 * The common update, in place of decoding and re-encoding every manager's
 * set: the live entries stay as they are (they were written by the general
 * path) when the write removes nothing anybody owns, changes only fields its manager
 * already owns, and touches nobody else's; only the manager's time moves.
 * Lease renewals and steady status writes are such updates. Returns false,
 * changing nothing, when the general path must decide.
 */
function updateOwnedInPlace(oldObj: KubeObject, newObj: KubeObject, opts: ManagedFieldsOptions): boolean {
  const live = oldObj.metadata?.managedFields;
  if (!Array.isArray(live) || live.length === 0) return false;
  const sent = newObj.metadata?.managedFields;
  // Without a subresource the request's entries win: only the usual echo of the live ones is taken here.
  if (opts.subresource === undefined && sent !== undefined && !deepEqual(sent, live)) return false;
  const self: ManagedFieldsEntry = { manager: opts.manager || 'unknown', operation: 'Update', apiVersion: opts.apiVersion, subresource: opts.subresource };
  let own: ManagedFieldsEntry | undefined;
  let updaters = 0;
  for (let i = 0; i < live.length; i++) {
    const e = live[i];
    // An entry that owns nothing is dropped by the general path.
    if (!isObject(e) || (e.operation !== 'Apply' && e.operation !== 'Update') || typeof e.apiVersion !== 'string' || !e.apiVersion || e.fieldsType !== 'FieldsV1' || !isObject(e.fieldsV1) || Object.keys(e.fieldsV1).length === 0) return false;
    // Names of another type than the general path's string identifiers assume: it decides.
    if ((e.manager !== undefined && typeof e.manager !== 'string') || (e.subresource !== undefined && typeof e.subresource !== 'string')) return false;
    for (let j = 0; j < i; j++) if (sameManager(live[j]!, e)) return false;
    if (e.operation === 'Update') updaters++;
    if (sameManager(e, self)) own = e;
  }
  if (!own || own.apiVersion !== opts.apiVersion || updaters > MAX_UPDATE_MANAGERS) return false;
  const cmp = compare(viewWithoutManagedFields(oldObj), viewWithoutManagedFields(newObj), opts.schema);
  const ignored = resetSet(opts);
  // A removed field nobody owns (uid, creationTimestamp: a PUT leaves them to the server) changes no entry.
  for (const path of cmp.removed.recursiveDifference(ignored)) {
    for (const e of live) if (ownsPath(e.fieldsV1, path)) return false;
  }
  const changed = cmp.modified.union(cmp.added).recursiveDifference(ignored);
  let ownsSomething = false;
  for (const path of changed) {
    for (const e of live) if (e !== own && ownsPath(e.fieldsV1, path)) return false;
    if (STRIPPED.has(path)) {
      if (ownsPath(own.fieldsV1, path)) return false;
      continue;
    }
    if (!ownsPath(own.fieldsV1, path)) return false;
    ownsSomething = true;
  }
  const entries = live.map((e) => canonicalEntry(e, e === own && ownsSomething ? opts.now : e.time)).sort(compareEntries);
  (newObj.metadata ??= {}).managedFields = entries;
  return true;
}

/** A create nobody owned anything of: the same entry the general path makes, from one walk of the object. */
function writeCreated(obj: KubeObject, opts: ManagedFieldsOptions): void {
  const fieldsV1 = createdFieldsV1(obj, opts.schema, opts.resetFields ?? ['status']);
  if (!fieldsV1) return;
  const entry: ManagedFieldsEntry = { manager: opts.manager || 'unknown', operation: 'Update', apiVersion: opts.apiVersion };
  if (opts.now) entry.time = opts.now;
  entry.fieldsType = 'FieldsV1';
  entry.fieldsV1 = fieldsV1;
  (obj.metadata ??= {}).managedFields = [entry];
}

/**
 * Records a non-apply write of newObj over oldObj (null for a create) in
 * newObj.metadata.managedFields, in place: the manager owns what it changed
 * and others lose it. managedFields sent with the request are kept if valid
 * (they let clients edit them; [] or [{}] clears them), else the live ones
 * are. Never throws: on an object it cannot read it keeps the live entries.
 */
export function updateManagedFields(oldObj: KubeObject | null, newObj: KubeObject, opts: ManagedFieldsOptions): void {
  try {
    if (oldObj !== null && updateOwnedInPlace(oldObj, newObj, opts)) return;
  } catch {
    // The general path below decides what an unreadable write keeps.
  }
  updateManagedFieldsGeneral(oldObj, newObj, opts);
}

/**
 * updateManagedFields without its fast path for updates: the algorithm as
 * upstream states it, which the fast paths must agree with (tests compare them).
 */
export function updateManagedFieldsGeneral(oldObj: KubeObject | null, newObj: KubeObject, opts: ManagedFieldsOptions): void {
  const liveEntries = oldObj?.metadata?.managedFields;
  try {
    const sent = newObj.metadata?.managedFields;
    let managed: Managed;
    if (opts.subresource !== undefined) managed = decodeOrEmpty(liveEntries);
    else if (isReset(sent)) managed = emptyManaged();
    else {
      managed = decodeOrEmpty(sent);
      if (managed.fields.size === 0) managed = decodeOrEmpty(liveEntries);
    }
    if (newObj.metadata) delete newObj.metadata.managedFields;

    if (oldObj === null && opts.subresource === undefined && managed.fields.size === 0) {
      writeCreated(newObj, opts);
      return;
    }
    const id = managerIdentifier({ manager: opts.manager || 'unknown', operation: 'Update', apiVersion: opts.apiVersion, subresource: opts.subresource });
    // As upstream: the write is first owned by a manager of its own, which
    // only joins the named manager (and stamps its time) if it changed something.
    const current = '\u0000current-operation';
    const uopts: UpdaterOptions = { schema: opts.schema, apiVersion: opts.apiVersion, ignored: resetSet(opts) };
    updateOwnership(viewWithoutManagedFields(oldObj), newObj, managed.fields, current, uopts);
    strip(managed, current);
    const changed = managed.fields.get(current);
    managed.fields.delete(current);
    if (changed) {
      const previous = managed.fields.get(id);
      managed.fields.set(id, { set: previous ? changed.set.union(previous.set) : changed.set, apiVersion: opts.apiVersion, applied: false });
      managed.times.set(id, opts.now);
    }
    capUpdateManagers(managed);
    writeManaged(newObj, managed);
  } catch {
    // Upstream's UpdateNoErrors: a write never fails over its managedFields.
    if (!newObj.metadata) newObj.metadata = {};
    if (liveEntries) newObj.metadata.managedFields = clone(liveEntries);
    else delete newObj.metadata.managedFields;
  }
}

function printManager(id: string): string {
  const info = parseIdentifier(id);
  let out = JSON.stringify(info.manager ?? '');
  if (info.subresource) out += ` with subresource ${JSON.stringify(info.subresource)}`;
  if (info.operation === 'Update') out += ` using ${info.apiVersion ?? ''}`;
  return out;
}

/** 409 Conflict as upstream words it, one cause per conflicting field. */
function conflictError(conflicts: Conflict[]): StatusError {
  const sorted = [...conflicts].sort((a, b) => (a.manager < b.manager ? -1 : a.manager > b.manager ? 1 : 0));
  const causes = sorted.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.manager)}`, field: pathText(c.path) }));
  let message: string;
  if (sorted.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(sorted[0]!.manager)}: ${pathText(sorted[0]!.path)}`;
  } else {
    const lines: string[] = [];
    let last: string | undefined;
    for (const c of sorted) {
      if (c.manager !== last) lines.push(`conflicts with ${printManager(c.manager)}:`);
      last = c.manager;
      lines.push(`- ${pathText(c.path)}`);
    }
    message = `Apply failed with ${sorted.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}

/**
 * Fields of the last-applied annotation whose values the live object still
 * has: a switch from client-side to server-side `kubectl apply` may take them
 * over without a conflict. Undefined when there is no usable annotation.
 */
function allowedFromLastApplied(live: JsonObject, apiVersion: string, schema: SchemaNode | undefined): FieldSet | undefined {
  const text = (live.metadata as KubeObject['metadata'] | undefined)?.annotations?.[LAST_APPLIED];
  if (!text) return undefined;
  try {
    const last: unknown = JSON.parse(text);
    if (!isObject(last) || last.apiVersion !== apiVersion) return undefined;
    const cmp = compare(last, live, schema);
    return toFieldSet(last, schema).difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
  } catch {
    return undefined;
  }
}

/** JSON as Go encodes a map: keys sorted, then a newline (json.Encoder). */
function goJson(v: unknown): string {
  const sortKeys = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sortKeys);
    if (!isObject(x)) return x;
    const out: JsonObject = {};
    for (const k of Object.keys(x).sort()) Object.defineProperty(out, k, { value: sortKeys(x[k]), enumerable: true, writable: true, configurable: true });
    return out;
  };
  return `${JSON.stringify(sortKeys(v))}\n`;
}

function lastAppliedOf(applied: KubeObject): string {
  const copy = clone(applied);
  if (copy.metadata?.annotations) delete copy.metadata.annotations[LAST_APPLIED];
  return goJson(copy);
}

export interface ApplyOptions {
  manager: string;
  force: boolean;
  apiVersion: string;
  schema: SchemaNode | undefined;
  now: string;
  subresource?: string;
  resetFields?: string[];
}

/**
 * Server-side apply of `applied` (the request body) to live (null when the
 * object does not exist yet). Returns the merged object with its
 * managedFields; neither argument is changed. Throws 409 Conflict when another
 * manager owns a field the configuration changes and force is false.
 */
export function serverSideApply(live: KubeObject | null, applied: KubeObject, opts: ApplyOptions): KubeObject {
  if (!isObject(applied)) throw badRequest('the apply configuration must be an object');
  const gvk = `${applied.apiVersion?.includes('/') ? '' : '/'}${applied.apiVersion ?? ''}, Kind=${applied.kind ?? ''}`;
  if (applied.apiVersion !== opts.apiVersion || (live?.kind !== undefined && applied.kind !== live.kind)) throw badRequest(`invalid object type: ${gvk}`);
  if (applied.metadata?.managedFields !== undefined && applied.metadata.managedFields !== null) throw badRequest('metadata.managedFields must be nil');

  let managed: Managed;
  try {
    managed = decodeManagedFields(live?.metadata?.managedFields);
  } catch (e) {
    throw unknownError(`failed to decode managed fields: ${(e as Error).message}`);
  }
  const liveObj = withoutManagedFields(live);
  const config = clone(applied) as JsonObject;
  const id = managerIdentifier({ manager: opts.manager || 'unknown', operation: 'Apply', subresource: opts.subresource });
  const uopts: UpdaterOptions = { schema: opts.schema, apiVersion: opts.apiVersion, ignored: resetSet(opts) };

  const attempt = (force: boolean): { object: JsonObject | null; managed: Managed } => {
    const fields = new Map(managed.fields);
    const object = applyOwnership(liveObj, config, fields, id, force, uopts);
    const out: Managed = { fields, times: new Map(managed.times) };
    strip(out, id);
    if (object) out.times.set(id, opts.now);
    return { object, managed: out };
  };

  let result: { object: JsonObject | null; managed: Managed };
  try {
    try {
      result = attempt(opts.force);
    } catch (e) {
      // Upstream lets `kubectl` take over what client-side apply set, as long as it is unchanged.
      if (!(e instanceof ConflictsError) || opts.manager !== 'kubectl') throw e;
      const allowed = allowedFromLastApplied(liveObj, opts.apiVersion, opts.schema);
      if (!allowed) throw e;
      const remaining = e.conflicts.filter((c: Conflict) => !allowed.has(c.path as Path));
      if (remaining.length > 0) throw new ConflictsError(remaining);
      result = attempt(true);
    }
  } catch (e) {
    if (e instanceof ConflictsError) throw conflictError(e.conflicts);
    if (e instanceof TypedError) {
      const ns = applied.metadata?.namespace ?? live?.metadata?.namespace ?? '';
      throw unknownError(`failed to create typed patch object (${ns}/${applied.metadata?.name ?? ''}; ${gvk}): ${e.message}`);
    }
    throw e;
  }

  const out = withoutNullMembers(result.object ?? liveObj) as KubeObject;
  if (!isObject(out.metadata)) out.metadata = {};
  if (opts.manager === 'kubectl' && out.metadata.annotations?.[LAST_APPLIED]) {
    out.metadata.annotations[LAST_APPLIED] = lastAppliedOf(applied);
  }
  writeManaged(out, result.managed);
  return out;
}
