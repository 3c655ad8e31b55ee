import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import { isIncludeObject, toTable, type TableOptions } from '../../src/apiserver/tables/index.js';
import { NOW, obj } from './fixtures.js';
import { info, type TableJson } from './helpers.js';

const pods = info('', 'v1', 'pods');
const pod = obj('p', { metadata: { labels: { app: 'x' }, resourceVersion: '11' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Pending' } });

function render(objects: KubeObject[], opts: Partial<TableOptions>, listMeta = {}, resource = pods): TableJson {
  return JSON.parse(JSON.stringify(toTable(resource, objects, listMeta, { includeObject: 'Metadata', now: NOW, ...opts }))) as TableJson;
}

test('a list becomes a meta.k8s.io/v1 Table carrying the list metadata', () => {
  const t = render([pod], {}, { resourceVersion: '42', continue: 'abc', remainingItemCount: 3 });
  assert.equal(t.kind, 'Table');
  assert.equal(t.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(t.metadata, { resourceVersion: '42', continue: 'abc', remainingItemCount: 3 });
  assert.deepEqual(Object.keys(t), ['kind', 'apiVersion', 'metadata', 'columnDefinitions', 'rows']);
  const nameCol = t.columnDefinitions![0]!;
  assert.deepEqual(Object.keys(nameCol).sort(), ['description', 'format', 'name', 'priority', 'type']);
  assert.equal(t.columnDefinitions![1]!.format, '');
  assert.equal(t.columnDefinitions![1]!.priority, 0);
  for (const row of t.rows!) assert.equal(row.cells.length, t.columnDefinitions!.length);
});

test('a single object table takes the object resourceVersion', () => {
  assert.deepEqual(render([pod], {}).metadata, { resourceVersion: '11' });
  assert.deepEqual(render([], {}).metadata, {});
});

test('includeObject: Metadata (default), Object, None', () => {
  const meta = render([pod], { includeObject: 'Metadata' }).rows![0]!.object;
  assert.deepEqual(meta, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata });
  const full = render([pod], { includeObject: 'Object' }).rows![0]!.object!;
  assert.equal(full.apiVersion, 'v1');
  assert.equal(full.kind, 'Pod');
  assert.deepEqual(full.spec, pod.spec);
  assert.equal(render([pod], { includeObject: 'None' }).rows![0]!.object, null);
  const deploy = render([obj('d', { spec: {} })], { includeObject: 'Object' }, {}, info('apps', 'v1', 'deployments')).rows![0]!.object!;
  assert.deepEqual([deploy.apiVersion, deploy.kind], ['apps/v1', 'Deployment']);
});

test('v1beta1 clients get v1beta1 Table and PartialObjectMetadata', () => {
  const t = render([pod], { version: 'v1beta1' });
  assert.equal(t.apiVersion, 'meta.k8s.io/v1beta1');
  assert.equal(t.rows![0]!.object!.apiVersion, 'meta.k8s.io/v1beta1');
});

test('noHeaders sends null column definitions (watch events after the first)', () => {
  const t = render([pod], { noHeaders: true });
  assert.equal(t.columnDefinitions, null);
  assert.equal(t.rows!.length, 1);
});

test('row conditions appear only for finished pods', () => {
  const done = obj('done', { spec: { containers: [] }, status: { phase: 'Succeeded' } });
  const t = render([pod, done], {});
  assert.equal(t.rows![0]!.conditions, undefined);
  assert.deepEqual(Object.keys(t.rows![1]!), ['cells', 'conditions', 'object']);
});

test('empty lists: [] rows from a printer, null from the default table', () => {
  assert.deepEqual(render([], {}).rows, []);
  assert.equal(render([], {}, {}, info('', 'v1', 'limitranges')).rows, null);
  const dflt = render([obj('lr', { metadata: { creationTimestamp: undefined } })], {}, {}, info('', 'v1', 'limitranges'));
  assert.deepEqual(dflt.columnDefinitions!.map((c) => [c.name, c.type, c.format]), [
    ['Name', 'string', 'name'],
    ['Created At', 'date', ''],
  ]);
  assert.deepEqual(dflt.rows![0]!.cells, ['lr', '0001-01-01T00:00:00Z']);
});

test('every served resource renders a table whose rows match its columns', async () => {
  const { RESOURCES } = await import('../../src/api/scheme/resources.js');
  for (const r of RESOURCES) {
    if (r.kind === 'Binding') continue;
    const t = render([obj('x', {})], {}, {}, r);
    assert.equal(t.rows![0]!.cells.length, t.columnDefinitions!.length, `${r.group}/${r.resource}`);
    for (const [i, cell] of t.rows![0]!.cells.entries()) {
      const type = t.columnDefinitions![i]!.type;
      assert.ok(['string', 'number', 'boolean'].includes(typeof cell), `${r.resource} cell ${i} (${type}) is ${typeof cell}`);
    }
  }
});

test('isIncludeObject accepts exactly the three upstream values', () => {
  assert.ok(isIncludeObject('None') && isIncludeObject('Metadata') && isIncludeObject('Object'));
  assert.ok(!isIncludeObject('metadata') && !isIncludeObject(''));
});
