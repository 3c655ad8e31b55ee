// metadata.managedFields in and out: each entry is one manager's set of
// fields, identified (as upstream does) by the JSON of its manager name,
// operation, apiVersion (for updates only: an applier stays the same manager
// whichever version it applies) and subresource.

import type { ManagedFieldsEntry } from '../../../api/types.js';
import { isObject } from '../json-value.js';
import { FieldSet } from './fieldpath.js';

export interface VersionedSet {
  set: FieldSet;
  apiVersion: string;
  applied: boolean;
}

export interface Managed {
  fields: Map<string, VersionedSet>;
  /** The time of each manager's last change, when known. */
  times: Map<string, string | undefined>;
}

export function emptyManaged(): Managed {
  return { fields: new Map(), times: new Map() };
}

export interface ManagerInfo {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  subresource?: string;
}

/** The identifier of a manager: its JSON with Go's field order and omitempty. */
export function managerIdentifier(info: ManagerInfo): string {
  const out: Record<string, string> = {};
  if (info.manager) out.manager = info.manager;
  if (info.operation) out.operation = info.operation;
  if (info.apiVersion && info.operation !== 'Apply') out.apiVersion = info.apiVersion;
  if (info.subresource) out.subresource = info.subresource;
  return JSON.stringify(out);
}

export function parseIdentifier(id: string): ManagerInfo {
  return JSON.parse(id) as ManagerInfo;
}

/** Decodes managedFields; throws Error (with upstream's wording) for an invalid entry. */
export function decodeManagedFields(entries: unknown): Managed {
  const managed = emptyManaged();
  if (entries === undefined || entries === null) return managed;
  if (!Array.isArray(entries)) throw new Error('managedFields must be a list');
  entries.forEach((e: unknown, i) => {
    if (!isObject(e)) throw new Error(`managed fields entry ${i} is not an object`);
    const entry = e as ManagedFieldsEntry;
    if (entry.operation !== 'Apply' && entry.operation !== 'Update') throw new Error('operation must be `Apply` or `Update`');
    if (!entry.apiVersion) throw new Error('apiVersion must not be empty');
    if (!entry.fieldsType) throw new Error(`missing fieldsType in managed fields entry ${i}`);
    if (entry.fieldsType !== 'FieldsV1') throw new Error(`invalid fieldsType "${String(entry.fieldsType)}" in managed fields entry ${i}`);
    const id = managerIdentifier(entry);
    managed.fields.set(id, { set: FieldSet.fromFieldsV1(entry.fieldsV1), apiVersion: entry.apiVersion, applied: entry.operation === 'Apply' });
    managed.times.set(id, typeof entry.time === 'string' ? entry.time : undefined);
  });
  return managed;
}

function seconds(t: string | undefined): number {
  if (!t) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

function cmpStr(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Entries sorted as upstream stores them: appliers first, then oldest first, then by name. */
export function encodeManagedFields(managed: Managed): ManagedFieldsEntry[] | undefined {
  if (managed.fields.size === 0) return undefined;
  const entries: ManagedFieldsEntry[] = [];
  for (const [id, vs] of managed.fields) {
    const info = parseIdentifier(id);
    const entry: ManagedFieldsEntry = {};
    if (info.manager) entry.manager = info.manager;
    entry.operation = vs.applied ? 'Apply' : (info.operation ?? 'Update');
    entry.apiVersion = vs.apiVersion;
    const time = managed.times.get(id);
    if (time) entry.time = time;
    entry.fieldsType = 'FieldsV1';
    entry.fieldsV1 = vs.set.toFieldsV1();
    if (info.subresource) entry.subresource = info.subresource;
    entries.push(entry);
  }
  return entries.sort(compareEntries);
}

/** Upstream's order of stored entries: appliers first, then oldest first, then by name. */
export function compareEntries(p: ManagedFieldsEntry, q: ManagedFieldsEntry): number {
  return (
    cmpStr(p.operation, q.operation) ||
    seconds(p.time) - seconds(q.time) ||
    cmpStr(p.manager, q.manager) ||
    cmpStr(p.apiVersion, q.apiVersion) ||
    cmpStr(p.subresource, q.subresource)
  );
}

export const MAX_UPDATE_MANAGERS = 10;
const ANCIENT_CHANGES = 'ancient-changes';

/** Folds the oldest update managers into "ancient-changes" buckets (one per apiVersion) so at most ten remain. */
export function capUpdateManagers(managed: Managed): void {
  const updaters = [...managed.fields].filter(([, vs]) => !vs.applied).map(([id]) => id);
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  updaters.sort((a, b) => seconds(managed.times.get(a)) - seconds(managed.times.get(b)) || cmpStr(a, b));
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > MAX_UPDATE_MANAGERS; i++) {
    const id = updaters[i]!;
    const vs = managed.fields.get(id)!;
    const bucket = managerIdentifier({ manager: ANCIENT_CHANGES, operation: 'Update', apiVersion: vs.apiVersion });
    const first = firstOfVersion.get(vs.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(vs.apiVersion, id);
      continue;
    }
    if (!managed.fields.has(bucket)) {
      managed.fields.set(bucket, managed.fields.get(first)!);
      managed.fields.delete(first);
    }
    managed.fields.set(bucket, { set: vs.set.union(managed.fields.get(bucket)!.set), apiVersion: vs.apiVersion, applied: vs.applied });
    managed.fields.delete(id);
    managed.times.set(bucket, managed.times.get(id));
    length--;
  }
}
