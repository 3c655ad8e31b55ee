import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goDuration, parseGoDuration } from '../../src/kubelet/util/duration.js';
import { Backoff } from '../../src/kubelet/util/backoff.js';
import { expand, expandCommandAndArgs } from '../../src/kubelet/pod/expansion.js';

test('goDuration renders as Go time.Duration.String', () => {
  assert.equal(goDuration(10_000), '10s');
  assert.equal(goDuration(80_000), '1m20s');
  assert.equal(goDuration(300_000), '5m0s');
  assert.equal(goDuration(160_000), '2m40s');
  assert.equal(goDuration(200), '200ms');
  assert.equal(goDuration(1600), '1.6s');
  assert.equal(goDuration(1503), '1.503s');
  assert.equal(goDuration(0), '0s');
  assert.equal(goDuration(3_600_000), '1h0m0s');
});

test('parseGoDuration accepts flag forms', () => {
  assert.equal(parseGoDuration('10s'), 10_000);
  assert.equal(parseGoDuration('1m30s'), 90_000);
  assert.equal(parseGoDuration('500ms'), 500);
  assert.equal(parseGoDuration('5m'), 300_000);
  assert.equal(parseGoDuration('2'), 2000);
  assert.throws(() => parseGoDuration('ten'));
});

test('crash back-off: first retry immediate, then doubling to the cap, reset after quiet time', () => {
  let now = 1_000_000;
  const b = new Backoff({ initialMs: 10_000, maxMs: 300_000, now: () => now });
  assert.equal(b.isInBackOffSince('p/c', now), false);
  b.next('p/c', now);
  assert.equal(b.get('p/c'), 10_000);
  assert.equal(b.isInBackOffSince('p/c', now), true);
  now += 10_001;
  assert.equal(b.isInBackOffSince('p/c', now - 10_001), false);
  const delays = [];
  for (let i = 0; i < 7; i++) {
    b.next('p/c', now);
    delays.push(b.get('p/c'));
  }
  assert.deepEqual(delays, [20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  now += 600_001;
  assert.equal(b.isInBackOffSince('p/c', now), false);
  b.next('p/c', now);
  assert.equal(b.get('p/c'), 10_000);
});

test('image back-off since last update', () => {
  let now = 0;
  const b = new Backoff({ initialMs: 100, maxMs: 1000, now: () => now });
  assert.equal(b.isInBackOffSinceUpdate('k'), false);
  b.next('k');
  assert.equal(b.isInBackOffSinceUpdate('k'), true);
  now = 150;
  assert.equal(b.isInBackOffSinceUpdate('k'), false);
});

test('$(VAR) expansion follows upstream rules', () => {
  const vars: Record<string, string> = { A: 'a', B: 'b$(A)' };
  const look = (n: string): string | undefined => vars[n];
  assert.equal(expand('$(A)-$(B)', look), 'a-b$(A)');
  assert.equal(expand('$$(A)', look), '$(A)');
  assert.equal(expand('$(MISSING)', look), '$(MISSING)');
  assert.equal(expand('$(A', look), '$(A');
  assert.equal(expand('cost $5', look), 'cost $5');
  assert.equal(expand('trailing $', look), 'trailing $');
  assert.deepEqual(expandCommandAndArgs(['echo', '$(A)'], ['$(B)'], [{ name: 'A', value: '1' }, { name: 'B', value: '2' }]), { command: ['echo', '1'], args: ['2'] });
});
