import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStrategicMergePatch } from '../../src/apiserver/patch/index.js';
import { StatusError } from '../../src/api/errors.js';
import { deployment, podSpec } from './schemas.js';
import type { SchemaNode } from '../../src/api/schema/types.js';

const pod: SchemaNode = { type: 'object', properties: { metadata: deployment.properties!.metadata!, spec: podSpec } };

function smp(target: unknown, patch: unknown, schema: SchemaNode | undefined = pod): any {
  return applyStrategicMergePatch(target, patch, schema);
}

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StatusError, `expected a StatusError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

test('maps merge recursively and null deletes a key', () => {
  const out = smp({ metadata: { labels: { a: '1', b: '2' }, name: 'x' } }, { metadata: { labels: { b: null, c: '3' } } });
  assert.deepEqual(out, { metadata: { labels: { a: '1', c: '3' }, name: 'x' } });
});

test('inputs are never changed', () => {
  const target = { spec: { containers: [{ name: 'a', image: 'x' }] } };
  const patch = { spec: { containers: [{ name: 'a', image: 'y' }, { name: 'b', image: 'z' }] } };
  const t = structuredClone(target);
  const p = structuredClone(patch);
  smp(target, patch);
  assert.deepEqual(target, t);
  assert.deepEqual(patch, p);
});

test('a merge list of maps merges items by merge key and appends new ones', () => {
  const out = smp(
    { spec: { containers: [{ name: 'a', image: 'a:1', args: ['x'] }, { name: 'b', image: 'b:1' }] } },
    { spec: { containers: [{ name: 'b', image: 'b:2' }, { name: 'c', image: 'c:1' }] } },
  );
  assert.deepEqual(out.spec.containers, [
    { name: 'a', image: 'a:1', args: ['x'] },
    { name: 'b', image: 'b:2' },
    { name: 'c', image: 'c:1' },
  ]);
});

test('a list without a patch strategy is replaced', () => {
  const out = smp({ spec: { containers: [{ name: 'a', args: ['1', '2'] }] } }, { spec: { containers: [{ name: 'a', args: ['3'] }] } });
  assert.deepEqual(out.spec.containers, [{ name: 'a', args: ['3'] }]);
});

test('a merge list of scalars is merged as a set', () => {
  const out = smp({ metadata: { finalizers: ['a', 'b'] } }, { metadata: { finalizers: ['b', 'c'] } });
  assert.deepEqual(out.metadata.finalizers, ['a', 'b', 'c']);
});

test('$deleteFromPrimitiveList removes scalars from a merge list', () => {
  const out = smp({ metadata: { finalizers: ['a', 'b', 'c'] } }, { metadata: { '$deleteFromPrimitiveList/finalizers': ['b', 'x'] } });
  assert.deepEqual(out.metadata.finalizers, ['a', 'c']);
});

test('$deleteFromPrimitiveList on a missing list does nothing', () => {
  const out = smp({ metadata: { name: 'x' } }, { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } });
  assert.deepEqual(out, { metadata: { name: 'x' } });
});

test('a malformed $deleteFromPrimitiveList key is 400', () => {
  const err = statusOf(() => smp({ metadata: {} }, { metadata: { $deleteFromPrimitiveList: ['b'] } }));
  assert.equal(err.code, 400);
  assert.equal(err.message, 'invalid patch format of primitive list');
});

test('$patch: delete in a list item removes the item with that merge key', () => {
  const out = smp(
    { spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] } },
    { spec: { containers: [{ name: 'b', $patch: 'delete' }] } },
  );
  assert.deepEqual(out.spec.containers, [{ name: 'a' }, { name: 'c' }]);
});

test('$patch: replace in a list makes the rest of the patch list the whole list', () => {
  const out = smp(
    { spec: { containers: [{ name: 'a', image: '1' }, { name: 'b' }] } },
    { spec: { containers: [{ name: 'c', image: '2' }, { $patch: 'replace' }] } },
  );
  assert.deepEqual(out.spec.containers, [{ name: 'c', image: '2' }]);
});

test('$patch: replace in a map replaces the map', () => {
  const out = smp({ metadata: { labels: { a: '1', b: '2' } } }, { metadata: { labels: { c: '3', $patch: 'replace' } } });
  assert.deepEqual(out.metadata.labels, { c: '3' });
});

test('$patch: delete in a map empties it', () => {
  const out = smp({ metadata: { labels: { a: '1' }, name: 'x' } }, { metadata: { labels: { $patch: 'delete' } } });
  assert.deepEqual(out.metadata, { labels: {}, name: 'x' });
});

test('$patch: merge is refused, in a map and in a list, as upstream does', () => {
  let err = statusOf(() => smp({ metadata: { labels: {} } }, { metadata: { labels: { $patch: 'merge' } } }));
  assert.equal(err.code, 500);
  assert.equal(err.message, 'unknown patch type: merge in map: map[$patch:merge]');
  err = statusOf(() => smp({ spec: { containers: [{ name: 'a' }] } }, { spec: { containers: [{ name: 'a', $patch: 'merge' }] } }));
  assert.equal(err.message, 'merging lists cannot yet be specified in the patch');
});

test('an unknown $patch value is an error naming the map', () => {
  const err = statusOf(() => smp({ spec: { containers: [{ name: 'a' }] } }, { spec: { containers: [{ name: 'a', $patch: 'frob' }] } }));
  assert.equal(err.message, 'unknown patch type: frob in map: map[$patch:frob name:a]');
});

test('a merge list item without its merge key is an error (upstream text, empty reason)', () => {
  const err = statusOf(() => smp({ spec: { containers: [{ name: 'a' }] } }, { spec: { containers: [{ image: 'nginx' }] } }));
  assert.equal(err.code, 500);
  assert.equal(err.toStatus().reason, '');
  assert.equal(err.message, 'map: map[image:nginx] does not contain declared merge key: name');
});

test('a list of lists is 422; mixed element types are a plain error', () => {
  const err = statusOf(() => smp({ metadata: {} }, { metadata: { finalizers: [['b']] } }));
  assert.equal(err.code, 422);
  assert.equal(err.message, 'the server rejected our request due to an error in our request');
  const mixed = statusOf(() => smp({ metadata: { finalizers: ['a'] } }, { metadata: { finalizers: [1] } }));
  assert.equal(mixed.code, 500);
  assert.equal(mixed.message, 'list element types are not identical: [[a] [1]]');
});

test('$setElementOrder orders the merged list, server-only items kept in place', () => {
  const out = smp(
    { spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] } },
    { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }], containers: [{ name: 'a', image: 'x' }] } },
  );
  assert.deepEqual(out.spec.containers, [{ name: 'c' }, { name: 'a', image: 'x' }, { name: 'b' }]);
});

test('$setElementOrder for scalars', () => {
  const out = smp({ metadata: { finalizers: ['a', 'b', 'c'] } }, { metadata: { '$setElementOrder/finalizers': ['c', 'b', 'a'] } });
  assert.deepEqual(out.metadata.finalizers, ['c', 'b', 'a']);
});

test('a patch list out of $setElementOrder order is an error', () => {
  const err = statusOf(() =>
    smp({ spec: { containers: [{ name: 'a' }, { name: 'b' }] } }, { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'b', image: 'x' }] } }),
  );
  assert.match(err.message, /^The order in patch list:\n\[map\[image:x name:b\]\]\n doesn't match \$setElementOrder list:\n\[map\[name:a\]\]\n$/);
});

test('new items without setElementOrder come in patch order, server-only items stay ahead of what they preceded', () => {
  const out = smp(
    { spec: { containers: [{ name: '1' }, { name: '2' }, { name: '3' }] } },
    { spec: { containers: [{ name: '4' }, { name: '2', image: 'x' }] } },
  );
  assert.deepEqual(
    out.spec.containers.map((c: any) => c.name),
    ['4', '1', '2', '3'],
  );
});

test('$retainKeys clears the fields it does not list', () => {
  const dep = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } };
  const out = smp(dep, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, deployment);
  assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
});

test('$retainKeys must name every field the patch sets', () => {
  const err = statusOf(() => smp({ spec: { strategy: {} } }, { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } }, deployment));
  assert.equal(err.code, 400);
  assert.equal(err.message, 'invalid patch format of retainKeys');
  assert.equal(statusOf(() => smp({ spec: { strategy: {} } }, { spec: { strategy: { $retainKeys: 'type' } } }, deployment)).code, 400);
});

test('$retainKeys inside a merge list item (volumes: merge,retainKeys)', () => {
  const out = smp(
    { spec: { volumes: [{ name: 'v', emptyDir: {} }] } },
    { spec: { volumes: [{ name: 'v', $retainKeys: ['hostPath', 'name'], hostPath: { path: '/x' } }] } },
  );
  assert.deepEqual(out.spec.volumes, [{ name: 'v', hostPath: { path: '/x' } }]);
});

test('a new field is merged into nothing, so directives and nulls inside it are not stored', () => {
  const out = smp({ spec: {} }, { spec: { containers: [{ name: 'a', image: null, env: [{ name: 'x', $patch: 'delete' }] }] } });
  assert.deepEqual(out.spec.containers, [{ name: 'a', env: [] }]);
});

test('a patch that is not an object is 400 with the decoder message; null patches nothing', () => {
  assert.equal(statusOf(() => smp({}, [1])).message, 'json: cannot unmarshal array into Go value of type map[string]interface {}');
  assert.equal(statusOf(() => smp({}, 'x')).code, 400);
  assert.deepEqual(smp({ a: 1 }, null), { a: 1 });
});

test('without a schema it is a JSON merge patch', () => {
  const out = applyStrategicMergePatch({ spec: { list: [1, 2], keep: true } }, { spec: { list: [3], gone: null } }, undefined);
  assert.deepEqual(out, { spec: { list: [3], keep: true } });
});
