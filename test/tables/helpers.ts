// Builds tables through the public entry point, the way the REST layer does.

import { resourceFor } from '../../src/api/scheme/resources.js';
import type { KubeObject } from '../../src/api/types.js';
import { toTable } from '../../src/apiserver/tables/index.js';
import { NOW } from './fixtures.js';

export interface TableJson {
  kind: string;
  apiVersion: string;
  metadata: Record<string, unknown>;
  columnDefinitions: { name: string; type: string; format: string; description: string; priority: number }[] | null;
  rows: { cells: unknown[]; conditions?: unknown[]; object: Record<string, unknown> | null }[] | null;
}

export function info(group: string, version: string, resource: string) {
  const r = resourceFor(group, version, resource);
  if (!r) throw new Error(`no resource ${group}/${version}/${resource}`);
  return r;
}

export function table(group: string, version: string, resource: string, objects: KubeObject[]): TableJson {
  return toTable(info(group, version, resource), objects, { resourceVersion: '42' }, { includeObject: 'None', now: NOW }) as unknown as TableJson;
}

/** Header names and the cells of the first row, for compact assertions. */
export function firstRow(group: string, version: string, resource: string, o: KubeObject): { headers: string[]; cells: unknown[] } {
  const t = table(group, version, resource, [o]);
  return { headers: (t.columnDefinitions ?? []).map((c) => (c.priority ? `(${c.name})` : c.name)), cells: t.rows![0]!.cells };
}
