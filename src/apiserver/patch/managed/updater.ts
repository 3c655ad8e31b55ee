// Ownership bookkeeping for one write (structured-merge-diff's Updater): who
// owns what after an update or an apply, which fields an apply takes away,
// and which changes conflict with another manager's fields.

import type { SchemaNode } from '../../../api/schema/types.js';
import { deepEqual, type JsonObject } from '../json-value.js';
import { compare, type Comparison } from './compare.js';
import { FieldSet, type Path } from './fieldpath.js';
import type { VersionedSet } from './managers.js';
import { removeItems } from './remove-items.js';
import { toFieldSet } from './to-field-set.js';
import { merge } from './typed-merge.js';
import { childNode, isDeclaredField } from './typed-schema.js';

export type Managers = Map<string, VersionedSet>;

export interface Conflict {
  manager: string;
  path: Path;
}

/** Another manager owns a field this write changes. */
export class ConflictsError extends Error {
  constructor(readonly conflicts: Conflict[]) {
    super('conflicts');
  }
}

export interface UpdaterOptions {
  schema: SchemaNode | undefined;
  apiVersion: string;
  /** Fields this endpoint resets (status, on the main resource): never owned, never conflicting. */
  ignored?: FieldSet;
}

/** The set plus every struct field that has members below it (upstream's EnsureNamedFieldsAreMembers). */
export function withNamedFields(set: FieldSet, schema: SchemaNode | undefined): FieldSet {
  const out = FieldSet.of(set);
  for (const path of set) {
    let node = schema;
    for (let i = 0; i < path.length - 1 && node; i++) {
      const pe = path[i]!;
      if (pe.startsWith('f:')) {
        const name = pe.slice(2);
        if (isDeclaredField(node, name)) out.insert(path.slice(0, i + 1));
        node = childNode(node, name);
      } else {
        node = node.items;
      }
    }
  }
  return out;
}

function exclude(c: Comparison, ignored: FieldSet | undefined): Comparison {
  if (!ignored || ignored.isEmpty()) return c;
  return { added: c.added.recursiveDifference(ignored), modified: c.modified.recursiveDifference(ignored), removed: c.removed.recursiveDifference(ignored) };
}

/**
 * Takes the fields oldObj→newObj changed away from every manager but
 * `workflow` (which must not happen without force: conflicts), and removed
 * fields from everyone. Changes managers in place.
 */
function reassign(oldObj: unknown, newObj: unknown, managers: Managers, workflow: string, force: boolean, opts: UpdaterOptions): Comparison {
  const cmp = exclude(compare(oldObj, newObj, opts.schema), opts.ignored);
  const changed = cmp.modified.union(cmp.added);
  const conflicts = new Map<string, FieldSet>();
  for (const [manager, vs] of managers) {
    if (manager === workflow) continue;
    const overlap = vs.set.intersection(changed);
    if (!overlap.isEmpty()) conflicts.set(manager, overlap);
  }
  if (!force && conflicts.size > 0) {
    const list: Conflict[] = [];
    for (const [manager, set] of conflicts) for (const path of set.sorted()) list.push({ manager, path });
    throw new ConflictsError(list);
  }
  for (const [manager, vs] of managers) {
    if (manager === workflow) continue;
    let set = vs.set;
    const lost = conflicts.get(manager);
    if (lost) set = set.difference(lost);
    if (!cmp.removed.isEmpty()) set = set.difference(cmp.removed);
    if (set.isEmpty()) managers.delete(manager);
    else managers.set(manager, { ...vs, set });
  }
  return cmp;
}

/** A non-apply write: manager owns what it changed, the others lose it. */
export function updateOwnership(live: unknown, next: unknown, managers: Managers, manager: string, opts: UpdaterOptions): void {
  const cmp = reassign(live, next, managers, manager, true, opts);
  const prev = managers.get(manager)?.set ?? new FieldSet();
  let set = prev.difference(cmp.removed).union(cmp.modified).union(cmp.added);
  if (opts.ignored) set = set.recursiveDifference(opts.ignored);
  if (set.isEmpty()) managers.delete(manager);
  else managers.set(manager, { set, apiVersion: opts.apiVersion, applied: false });
}

/** Drops what the applier owned last time, owns no more, and nobody else owns. */
function prune(merged: JsonObject, managers: Managers, last: VersionedSet | undefined, schema: SchemaNode | undefined): JsonObject {
  if (!last || last.set.isEmpty()) return merged;
  const lastSet = withNamedFields(last.set, schema);
  let pruned = removeItems(merged, schema, lastSet);
  let owned = new FieldSet();
  for (const vs of managers.values()) owned = owned.union(vs.set);
  owned = withNamedFields(owned, schema);
  const mergedSet = withNamedFields(toFieldSet(merged, schema), schema);
  const prunedSet = withNamedFields(toFieldSet(pruned, schema), schema);
  pruned = removeItems(merged, schema, mergedSet.difference(prunedSet.union(owned)));
  const keptSet = withNamedFields(toFieldSet(pruned, schema), schema);
  return removeItems(merged, schema, mergedSet.difference(keptSet).intersection(lastSet));
}

/**
 * An apply: merges config into live, gives manager exactly the fields of
 * config, prunes what it stopped applying, and checks the others' fields.
 * Returns null for the object when nothing changed.
 */
export function applyOwnership(
  live: JsonObject,
  config: JsonObject,
  managers: Managers,
  manager: string,
  force: boolean,
  opts: UpdaterOptions,
): JsonObject | null {
  const merged = (merge([], live, config, opts.schema) ?? {}) as JsonObject;
  const last = managers.get(manager);
  let set = toFieldSet(config, opts.schema, true);
  if (opts.ignored) set = set.recursiveDifference(opts.ignored);
  managers.set(manager, { set, apiVersion: opts.apiVersion, applied: true });
  const next = prune(merged, managers, last, opts.schema);
  reassign(live, next, managers, manager, force, opts);
  return deepEqual(live, next) ? null : next;
}
