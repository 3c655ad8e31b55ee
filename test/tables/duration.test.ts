import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, since } from '../../src/apiserver/tables/duration.js';
import { D, H, M, NOW, S, ago } from './fixtures.js';

test('humanDuration follows upstream HumanDuration at every boundary', () => {
  const cases: [number, string][] = [
    [-2500, '<invalid>'],
    [-2 * S, '<invalid>'],
    [-1999, '0s'],
    [-500, '0s'],
    [0, '0s'],
    [999, '0s'],
    [59 * S, '59s'],
    [119 * S + 999, '119s'],
    [2 * M, '2m'],
    [2 * M + 5 * S, '2m5s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M, '10m'],
    [10 * M + 30 * S, '10m'],
    [90 * M, '90m'],
    [179 * M + 59 * S, '179m'],
    [3 * H, '3h'],
    [3 * H + 4 * M, '3h4m'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H, '8h'],
    [8 * H + 30 * M, '8h'],
    [47 * H + 59 * M, '47h'],
    [48 * H, '2d'],
    [3 * D + 4 * H, '3d4h'],
    [7 * D + 23 * H, '7d23h'],
    [8 * D, '8d'],
    [8 * D + 5 * H, '8d'],
    [729 * D, '729d'],
    [730 * D, '2y'],
    [733 * D, '2y3d'],
    [2919 * D, '7y364d'],
    [2920 * D, '8y'],
    [3700 * D, '10y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `humanDuration(${ms})`);
});

test('since reads RFC 3339 and MicroTime, and <unknown> for no time', () => {
  assert.equal(since(ago(5 * M), NOW), '5m');
  assert.equal(since('2024-05-01T11:59:30.123456Z', NOW), '29s');
  assert.equal(since(undefined, NOW), '<unknown>');
  assert.equal(since('', NOW), '<unknown>');
  assert.equal(since('not a time', NOW), '<unknown>');
});
