import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMergePatch, parsePatchType } from '../../src/apiserver/patch/index.js';
import { StatusError } from '../../src/api/errors.js';

// The examples of RFC 7386, appendix A.
const RFC_CASES: [unknown, unknown, unknown][] = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

test('RFC 7386 examples', () => {
  for (const [target, patch, want] of RFC_CASES) assert.deepEqual(applyMergePatch(target, patch), want, JSON.stringify(patch));
});

test('arrays are replaced whole, nulls inside new objects dropped', () => {
  assert.deepEqual(applyMergePatch({ spec: { list: [1, 2] } }, { spec: { list: [3], x: { y: null, z: 1 } } }), { spec: { list: [3], x: { z: 1 } } });
});

test('the target is not changed and the result shares nothing with it', () => {
  const target = { metadata: { labels: { a: '1' } }, spec: { deep: { x: 1 } } };
  const out = applyMergePatch(target, { metadata: { labels: { b: '2' } } }) as any;
  out.spec.deep.x = 2;
  assert.deepEqual(target, { metadata: { labels: { a: '1' } }, spec: { deep: { x: 1 } } });
});

test('a patch that is not an object is 400 Invalid JSON Patch', () => {
  for (const p of [null, [1], 'x', 3]) {
    assert.throws(
      () => applyMergePatch({}, p),
      (e: unknown) => e instanceof StatusError && e.code === 400 && e.message === 'Invalid JSON Patch',
    );
  }
});

test('patch types: charset ignored, CBOR apply and others 415', () => {
  assert.equal(parsePatchType('application/merge-patch+json; charset=utf-8'), 'application/merge-patch+json');
  assert.equal(parsePatchType('application/apply-patch+yaml'), 'application/apply-patch+yaml');
  assert.throws(
    () => parsePatchType('application/apply-patch+cbor'),
    (e: unknown) =>
      e instanceof StatusError &&
      e.code === 415 &&
      e.message ===
        'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml',
  );
  assert.throws(() => parsePatchType('application/strategic-merge-patch+json', { strategic: false }), (e: unknown) => e instanceof StatusError && e.code === 415);
});
