import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SchemaNode } from '../../src/api/schema/index.js';
import { fieldIndex } from '../../src/apiserver/protobuf/fields/index.js';
import { WELL_KNOWN } from '../../src/apiserver/protobuf/well-known.js';
import { schemas } from './schemas.js';

/** Never sent as a request body: watch events are a response format, and metrics.k8s.io is read-only (get and list). */
const NOT_DECODED = new Set([
  'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent',
  'io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics',
  'io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetricsList',
  'io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics',
  'io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetricsList',
]);

/** The JSON properties a table covers, following inlined structs. */
function coveredProperties(type: string): string[] {
  const table = fieldIndex().get(type);
  assert.ok(table, `no field table for ${type}`);
  return [...table.values()].flatMap((spec) => (spec.kind === 'inline' ? coveredProperties(spec.type) : [spec.name]));
}

function reachableDefinitions(): Set<string> {
  const seen = new Set<string>();
  const visit = (node: SchemaNode | undefined): void => {
    if (!node) return;
    if (node.ref) {
      if (seen.has(node.ref) || WELL_KNOWN.has(node.ref)) return;
      seen.add(node.ref);
    }
    for (const p of Object.values(node.properties ?? {})) visit(p);
    visit(node.items);
    visit(node.additionalProperties);
  };
  for (const [name, node] of schemas.definitions()) {
    if (node['x-kubernetes-group-version-kind'] && !NOT_DECODED.has(name)) visit(node);
  }
  return seen;
}

test('every property of every type a served kind reaches has a protobuf field number', () => {
  const missing: string[] = [];
  for (const name of reachableDefinitions()) {
    const node = schemas.definition(name)!;
    if (!node.properties) continue;
    if (!fieldIndex().has(name)) {
      missing.push(`${name} (no table)`);
      continue;
    }
    const covered = new Set(coveredProperties(name));
    for (const p of Object.keys(node.properties)) {
      if (p !== 'apiVersion' && p !== 'kind' && !covered.has(p)) missing.push(`${name}.${p}`);
    }
  }
  assert.deepEqual(missing, []);
});

test('every table entry names a property of its schema type, once', () => {
  const wrong: string[] = [];
  for (const [type] of fieldIndex()) {
    const node = schemas.definition(type);
    // Inlined structs (VolumeSource) and kinds the schema lacks have no definition of their own.
    if (!node) continue;
    const names = coveredProperties(type);
    for (const n of names) if (!node.properties?.[n]) wrong.push(`${type}.${n}`);
    const dupes = names.filter((n, i) => names.indexOf(n) !== i);
    for (const d of dupes) wrong.push(`${type}.${d} (twice)`);
  }
  assert.deepEqual(wrong, []);
});
