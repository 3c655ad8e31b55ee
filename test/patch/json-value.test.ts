import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clone } from '../../src/apiserver/patch/json-value.js';

test('clone copies JSON values as structuredClone does, key order and all', () => {
  const pod = JSON.parse(
    '{"metadata":{"name":"p","labels":{"b":"1","a":"2","10":"x","2":"y"},"managedFields":[{"manager":"m","fieldsV1":{"f:spec":{}}}]},' +
      '"spec":{"containers":[{"name":"c","args":["a",null,""],"ports":[]}],"priority":0,"x":-1.5e300,"t":true,"f":false,"n":null}}',
  );
  const viaClone = clone(pod);
  assert.deepEqual(viaClone, structuredClone(pod));
  assert.equal(JSON.stringify(viaClone), JSON.stringify(pod));
  assert.equal(clone(undefined), undefined);
  assert.equal(clone('s'), 's');
  assert.ok(Object.is(clone(-0), -0));
  assert.ok(Number.isNaN(clone(NaN)));
});

test('a clone shares nothing with its source', () => {
  const src = { a: { b: [{ c: 1 }] }, d: [[1]] };
  const out = clone(src);
  out.a.b[0]!.c = 2;
  out.a.b.push({ c: 3 });
  out.d[0]!.push(2);
  assert.deepEqual(src, { a: { b: [{ c: 1 }] }, d: [[1]] });
});

test('a member named __proto__ stays an own member, the prototype untouched', () => {
  const src = JSON.parse('{"__proto__":{"x":1},"y":2}') as Record<string, unknown>;
  const out = clone(src);
  assert.deepEqual(Object.keys(out), ['__proto__', 'y']);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, { x: 1 });
  assert.notEqual(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, Object.getOwnPropertyDescriptor(src, '__proto__')?.value);
});

test('values that are not plain JSON are copied by structuredClone, or refused as it refuses them', () => {
  const when = new Date('2026-11-28T00:00:00Z');
  const out = clone({ when, bytes: new Uint8Array([1, 2]) });
  assert.ok(out.when instanceof Date && out.when !== when && out.when.getTime() === when.getTime());
  assert.ok(out.bytes instanceof Uint8Array && out.bytes[1] === 2);
  assert.throws(() => clone({ f: () => 1 }), (err: Error) => err.name === 'DataCloneError');
});
