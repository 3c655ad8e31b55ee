// Server-side Table output (meta.k8s.io Table), what `kubectl get` asks for
// with Accept: application/json;as=Table;v=v1;g=meta.k8s.io. The REST layer
// calls toTable for lists, single objects and each watch event.

import type { ResourceInfo } from '../../api/scheme/resources.js';
import { apiVersionOf, type KubeObject, type ListMeta } from '../../api/types.js';
import { defaultPrinter } from './default-table.js';
import type { Column, RowCondition } from './model.js';
import { printerFor } from './registry.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  /** What rows[].object holds: nothing, PartialObjectMetadata (the default) or the object itself. */
  includeObject: IncludeObject;
  /** The moment AGE and other durations are measured against; defaults to now. */
  now?: Date;
  /**
   * Omit columnDefinitions (sent as null). Upstream's watch encoder sends them
   * with the first event only and sets this for every later event.
   */
  noHeaders?: boolean;
  /** meta.k8s.io version the client negotiated; names the Table and PartialObjectMetadata apiVersion. */
  version?: 'v1' | 'v1beta1';
}

export interface TableRowJson {
  cells: unknown[];
  conditions?: RowCondition[];
  object: Record<string, unknown> | null;
}

export function isIncludeObject(v: string): v is IncludeObject {
  return v === 'None' || v === 'Metadata' || v === 'Object';
}

function rowObject(info: ResourceInfo, obj: KubeObject, opts: TableOptions, version: string): Record<string, unknown> | null {
  switch (opts.includeObject) {
    case 'None':
      return null;
    case 'Object':
      return { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(info.group, info.version), kind: obj.kind ?? info.kind };
    default:
      return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
  }
}

function listMetaJson(listMeta: ListMeta, objects: KubeObject[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // A single object's table carries that object's resourceVersion, as upstream's CommonAccessor path does.
  const rv = listMeta.resourceVersion ?? (objects.length === 1 ? objects[0]!.metadata.resourceVersion : undefined);
  if (rv) out.resourceVersion = rv;
  if (listMeta.continue) out.continue = listMeta.continue;
  if (listMeta.remainingItemCount !== undefined && listMeta.remainingItemCount !== null) out.remainingItemCount = listMeta.remainingItemCount;
  return out;
}

/** A meta.k8s.io Table of the given objects, columns and cells as upstream's printers produce them. */
export function toTable(info: ResourceInfo, objects: KubeObject[], listMeta: ListMeta, opts: TableOptions): Record<string, unknown> {
  const version = opts.version ?? 'v1';
  const now = opts.now ?? new Date();
  const printer = printerFor(info);
  const rows: TableRowJson[] = objects.map((obj) => {
    const printed = printer.print(obj, now);
    const object = rowObject(info, obj, opts, version);
    return printed.conditions ? { cells: printed.cells, conditions: printed.conditions, object } : { cells: printed.cells, object };
  });
  const columns: Column[] | null = opts.noHeaders ? null : printer.columns.map((c) => ({ ...c }));
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: listMetaJson(listMeta, objects),
    columnDefinitions: columns,
    // The default convertor builds rows by appending, so an empty list encodes as null there.
    rows: rows.length === 0 && printer === defaultPrinter ? null : rows,
  };
}

export { humanDuration } from './duration.js';
export { formatQuantity } from './quantity.js';
export { printerFor } from './registry.js';
