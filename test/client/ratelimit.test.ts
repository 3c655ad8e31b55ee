import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/client/clock.js';
import { TokenBucket } from '../../src/client/ratelimit.js';
import {
  ItemExponentialFailureRateLimiter,
  BucketRateLimiter,
  MaxOfRateLimiter,
  ItemFastSlowRateLimiter,
  defaultControllerRateLimiter,
} from '../../src/client/ratelimiters.js';

test('token bucket: burst, then refill at qps', () => {
  const clock = new FakeClock();
  const b = new TokenBucket(2, 3, clock);
  assert.equal(b.tryAccept(), true);
  assert.equal(b.tryAccept(), true);
  assert.equal(b.tryAccept(), true);
  assert.equal(b.tryAccept(), false);
  clock.step(499);
  assert.equal(b.tryAccept(), false);
  clock.step(1);
  assert.equal(b.tryAccept(), true);
  clock.step(60_000);
  for (let i = 0; i < 3; i++) assert.equal(b.tryAccept(), true, 'refill is capped at burst');
  assert.equal(b.tryAccept(), false);
});

test('token bucket: reservations queue callers into the future', () => {
  const clock = new FakeClock();
  const b = new TokenBucket(10, 1, clock);
  assert.equal(b.reserve(), 0);
  assert.equal(Math.round(b.reserve()), 100);
  assert.equal(Math.round(b.reserve()), 200);
  clock.step(200);
  assert.equal(Math.round(b.reserve()), 100);
});

test('token bucket: qps <= 0 is unlimited', () => {
  const b = new TokenBucket(0, 0);
  for (let i = 0; i < 1000; i++) assert.equal(b.tryAccept(), true);
  assert.equal(b.reserve(), 0);
});

test('exponential per-item back-off: 5 ms doubling, capped at 1000 s', () => {
  const r = new ItemExponentialFailureRateLimiter<string>(5, 1_000_000);
  const seen = Array.from({ length: 5 }, () => r.when('a'));
  assert.deepEqual(seen, [5, 10, 20, 40, 80]);
  assert.equal(r.when('b'), 5, 'items are independent');
  for (let i = 0; i < 100; i++) r.when('a');
  assert.equal(r.when('a'), 1_000_000);
  assert.equal(r.numRequeues('a'), 106);
  r.forget('a');
  assert.equal(r.numRequeues('a'), 0);
  assert.equal(r.when('a'), 5);
});

test('fast/slow limiter', () => {
  const r = new ItemFastSlowRateLimiter<string>(1, 100, 2);
  assert.deepEqual([r.when('a'), r.when('a'), r.when('a')], [1, 1, 100]);
});

test('bucket limiter: 100 free retries, then 10 per second overall', () => {
  const clock = new FakeClock();
  const r = new BucketRateLimiter<string>(10, 100, clock);
  for (let i = 0; i < 100; i++) assert.equal(r.when(`i${i}`), 0);
  assert.equal(Math.round(r.when('x')), 100);
  assert.equal(Math.round(r.when('y')), 200);
});

test('default controller limiter is the max of per-item and overall', () => {
  const clock = new FakeClock();
  const r = defaultControllerRateLimiter<string>(clock);
  assert.equal(r.when('a'), 5);
  assert.equal(r.when('a'), 10);
  for (let i = 0; i < 98; i++) r.when(`other${i}`);
  // the bucket is empty now: its delay dominates a fresh item's 5 ms
  assert.equal(Math.round(r.when('fresh')), 100);
  const m = new MaxOfRateLimiter<string>(new ItemFastSlowRateLimiter(1, 1, 1), new ItemExponentialFailureRateLimiter(1, 1000));
  m.when('z');
  m.when('z');
  assert.equal(m.numRequeues('z'), 2);
  m.forget('z');
  assert.equal(m.numRequeues('z'), 0);
});
