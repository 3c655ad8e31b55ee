import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch } from '../../src/apiserver/patch/index.js';
import { StatusError } from '../../src/api/errors.js';

const REJECTED = 'the server rejected our request due to an error in our request';

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StatusError, `expected a StatusError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

const doc = () => ({ metadata: { name: 'x', labels: { a: '1' } }, spec: { list: [1, 2, 3] } });

test('add, remove, replace, move, copy and test in sequence', () => {
  const out = applyJsonPatch(doc(), [
    { op: 'add', path: '/metadata/labels/b', value: '2' },
    { op: 'remove', path: '/metadata/labels/a' },
    { op: 'replace', path: '/spec/list/0', value: 10 },
    { op: 'add', path: '/spec/list/-', value: 4 },
    { op: 'add', path: '/spec/list/1', value: 5 },
    { op: 'move', from: '/metadata/labels/b', path: '/metadata/labels/c' },
    { op: 'copy', from: '/spec/list', path: '/spec/copy' },
    { op: 'test', path: '/metadata/labels/c', value: '2' },
  ]);
  assert.deepEqual(out, {
    metadata: { name: 'x', labels: { c: '2' } },
    spec: { list: [10, 5, 2, 3, 4], copy: [10, 5, 2, 3, 4] },
  });
});

test('the target is not changed', () => {
  const d = doc();
  applyJsonPatch(d, [{ op: 'remove', path: '/spec' }]);
  assert.deepEqual(d, doc());
});

test('pointer escapes ~1 and ~0', () => {
  const out = applyJsonPatch({ metadata: { annotations: {} } }, [{ op: 'add', path: '/metadata/annotations/example.com~1a~0b', value: 'v' }]) as any;
  assert.deepEqual(out.metadata.annotations, { 'example.com/a~b': 'v' });
});

test('replace of a missing object member adds it, as upstream’s library does', () => {
  const out = applyJsonPatch(doc(), [{ op: 'replace', path: '/spec/replicas', value: 3 }]) as any;
  assert.equal(out.spec.replicas, 3);
});

test('negative indices count from the end', () => {
  const out = applyJsonPatch(doc(), [{ op: 'remove', path: '/spec/list/-1' }]) as any;
  assert.deepEqual(out.spec.list, [1, 2]);
});

test('a failing test is 422 with upstream’s fixed message', () => {
  const err = statusOf(() => applyJsonPatch(doc(), [{ op: 'test', path: '/metadata/name', value: 'y' }]));
  assert.equal(err.code, 422);
  assert.equal(err.reason, 'Invalid');
  assert.equal(err.message, REJECTED);
  assert.match(String((err.cause as Error).message), /testing value \/metadata\/name failed/);
});

test('test of a missing member against null passes', () => {
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/b', value: null }]), { a: 1 });
});

test('a missing path, a missing key to remove and an unknown op are 422', () => {
  for (const op of [
    { op: 'add', path: '/nope/deeper', value: 1 },
    { op: 'remove', path: '/metadata/nope' },
    { op: 'replace', path: '/spec/list/7', value: 1 },
    { op: 'frob', path: '/spec' },
    { op: 'add', value: 1 },
    { op: 'move', from: '/nope', path: '/x' },
  ]) {
    const err = statusOf(() => applyJsonPatch(doc(), [op]));
    assert.equal(err.code, 422, JSON.stringify(op));
    assert.equal(err.message, REJECTED);
  }
});

test('a body that is not a list of operations is 400', () => {
  let err = statusOf(() => applyJsonPatch(doc(), { op: 'add' }));
  assert.equal(err.code, 400);
  assert.equal(err.message, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  err = statusOf(() => applyJsonPatch(doc(), ['add']));
  assert.equal(err.message, 'json: cannot unmarshal string into Go value of type jsonpatch.Operation');
});

test('more than 10000 operations is 413', () => {
  const ops = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/metadata/name', value: 'x' }));
  const err = statusOf(() => applyJsonPatch(doc(), ops));
  assert.equal(err.code, 413);
  assert.equal(err.message, 'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001');
});

test('an empty patch (or null) returns a copy', () => {
  assert.deepEqual(applyJsonPatch(doc(), []), doc());
  assert.deepEqual(applyJsonPatch(doc(), null), doc());
});
