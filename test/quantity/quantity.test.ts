import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuantity, tryParseQuantity, ERR_FORMAT_WRONG, ERR_SUFFIX } from '../../src/api/quantity.js';

const canonical: [string | number, string][] = [
  ['100m', '100m'],
  ['1.5Gi', '1536Mi'],
  ['1e3', '1e3'],
  ['0.5', '500m'],
  [0.5, '500m'],
  ['1024Mi', '1Gi'],
  ['1000m', '1'],
  ['1500', '1500'],
  ['1000', '1k'],
  ['1Ki', '1Ki'],
  ['512', '512'],
  ['0.5Ki', '512'],
  ['1.1Ki', '1126400m'],
  ['0', '0'],
  ['-100m', '-100m'],
  ['1M', '1M'],
  ['1000000', '1M'],
  ['5G', '5G'],
  ['1.5', '1500m'],
  ['0.0000000001', '1n'],
  ['2', '2'],
  ['128974848', '128974848'],
  ['129e6', '129e6'],
  ['123Mi', '123Mi'],
  [1, '1'],
  ['.5', '500m'],
  ['1E6', '1e6'],
  ['10u', '10u'],
];

for (const [input, want] of canonical) {
  test(`quantity ${JSON.stringify(input)} prints as ${want}`, () => {
    assert.equal(parseQuantity(input).toString(), want);
    // Canonical strings are fixed points.
    assert.equal(parseQuantity(want).toString(), want);
  });
}

test('malformed quantities give upstream errors', () => {
  assert.equal(tryParseQuantity('abc'), ERR_FORMAT_WRONG);
  assert.equal(tryParseQuantity(''), ERR_FORMAT_WRONG);
  assert.equal(tryParseQuantity('1.5.5'), ERR_FORMAT_WRONG);
  assert.equal(tryParseQuantity('1Qi'), ERR_FORMAT_WRONG);
  assert.equal(tryParseQuantity('1Kb'), ERR_FORMAT_WRONG);
  assert.equal(tryParseQuantity('1mi'), ERR_SUFFIX);
  assert.match(ERR_FORMAT_WRONG, /^quantities must match the regular expression '\^\(\[\+-\]\?\[0-9\.\]\+\)/);
});

test('compare, add, milli values', () => {
  assert.equal(parseQuantity('1').cmp(parseQuantity('1000m')), 0);
  assert.equal(parseQuantity('1Gi').cmp(parseQuantity('1G')), 1);
  assert.equal(parseQuantity('500m').cmp(parseQuantity('0.6')), -1);
  assert.equal(parseQuantity('100m').add(parseQuantity('900m')).toString(), '1');
  assert.equal(parseQuantity('1Gi').add(parseQuantity('1Gi')).toString(), '2Gi');
  assert.equal(parseQuantity('1Gi').sub(parseQuantity('512Mi')).toString(), '512Mi');
  assert.equal(parseQuantity('1.5').milliValue(), 1500);
  assert.equal(parseQuantity('1m').milliValue(), 1);
  assert.equal(parseQuantity('1n').milliValue(), 1);
  assert.equal(parseQuantity('2Ki').value(), 2048);
  assert.equal(parseQuantity('1500m').value(), 2);
  assert.equal(parseQuantity('0.0001').roundUp(-3).toString(), '1m');
  assert.equal(JSON.stringify({ q: parseQuantity('0.25') }), '{"q":"250m"}');
});

test('a quantity text parsed again gives the same value, however it was used in between', () => {
  const first = parseQuantity(' 1.5Gi ');
  assert.equal(first.roundUp(0).add(parseQuantity('1Gi')).toString(), '2560Mi');
  assert.equal(first.neg().toString(), '-1536Mi');
  const again = parseQuantity(' 1.5Gi ');
  assert.equal(again.toString(), '1536Mi');
  assert.equal(again.cmp(parseQuantity('1536Mi')), 0);
  // Malformed text fails every time, not only the first.
  assert.equal(tryParseQuantity('1mi'), ERR_SUFFIX);
  assert.equal(tryParseQuantity('1mi'), ERR_SUFFIX);
  assert.throws(() => parseQuantity('abc'), /quantities must match/);
  assert.throws(() => parseQuantity('abc'), /quantities must match/);
});

test('thousands of distinct quantity texts parse right, in any order', () => {
  for (let i = 0; i < 3000; i++) assert.equal(parseQuantity(`${i}m`).milliValue(), i);
  for (let i = 0; i < 3000; i += 7) assert.equal(parseQuantity(`${i}m`).milliValue(), i);
});
