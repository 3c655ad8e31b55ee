import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue, DelayingQueue, RateLimitingQueue } from '../../src/client/workqueue.js';
import { ItemFastSlowRateLimiter } from '../../src/client/ratelimiters.js';

test('queued duplicates are processed once, in FIFO order', async () => {
  const q = new WorkQueue<string>();
  q.add('a');
  q.add('b');
  q.add('a');
  q.add('c');
  assert.equal(q.len(), 3);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
  assert.equal(await q.get(), 'c');
  assert.equal(q.len(), 0);
});

test('an item re-added while processing waits for done() and is never handed out twice', async () => {
  const q = new WorkQueue<string>();
  q.add('a');
  const item = await q.get();
  assert.equal(item, 'a');
  q.add('a');
  q.add('a');
  assert.equal(q.len(), 0, 'deferred while processing');
  let second: string | undefined;
  const pending = q.get().then((x) => (second = x));
  await new Promise((r) => setImmediate(r));
  assert.equal(second, undefined, 'a second worker must not get the item being processed');
  q.done('a');
  await pending;
  assert.equal(second, 'a');
  assert.equal(q.len(), 0);
  q.done('a');
  assert.equal(q.len(), 0);
});

test('a waiting get() is woken by add()', async () => {
  const q = new WorkQueue<number>();
  const p = q.get();
  q.add(7);
  assert.equal(await p, 7);
  q.done(7);
});

test('shutDown wakes waiters with undefined, drains queued items, ignores new adds', async () => {
  const q = new WorkQueue<string>();
  const waiter = q.get();
  q.shutDown();
  assert.equal(await waiter, undefined);
  assert.equal(q.shuttingDown(), true);

  const q2 = new WorkQueue<string>();
  q2.add('x');
  q2.shutDown();
  q2.add('y');
  assert.equal(await q2.get(), 'x');
  assert.equal(await q2.get(), undefined);
});

test('shutDownWithDrain waits for items in flight', async () => {
  const q = new WorkQueue<string>();
  q.add('a');
  const a = await q.get();
  let drained = false;
  const p = q.shutDownWithDrain().then(() => (drained = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(drained, false);
  q.done(a!);
  await p;
  assert.equal(drained, true);
});

test('addAfter delivers later and keeps the earlier ready time for duplicates', async () => {
  const q = new DelayingQueue<string>();
  q.addAfter('now', 0);
  assert.equal(q.len(), 1);
  q.addAfter('later', 3_600_000);
  q.addAfter('later', 1);
  assert.equal(q.numWaiting(), 1);
  assert.equal(await q.get(), 'now');
  assert.equal(await q.get(), 'later');
  assert.equal(q.numWaiting(), 0);
  q.addAfter('never', 3_600_000);
  q.shutDown();
  assert.equal(q.numWaiting(), 0);
});

test('addRateLimited backs off per item; forget resets the count', async () => {
  const q = new RateLimitingQueue<string>(new ItemFastSlowRateLimiter<string>(1, 3_600_000, 2));
  q.addRateLimited('a');
  assert.equal(q.numRequeues('a'), 1);
  assert.equal(await q.get(), 'a');
  q.done('a');
  q.addRateLimited('a');
  assert.equal(await q.get(), 'a');
  q.done('a');
  assert.equal(q.numRequeues('a'), 2);
  q.addRateLimited('a');
  assert.equal(q.numWaiting(), 1, 'third retry is slow');
  q.forget('a');
  assert.equal(q.numRequeues('a'), 0);
  q.shutDown();
});

test('the default rate limiter is the controller default', () => {
  const q = new RateLimitingQueue<string>();
  assert.equal(q.rateLimiter.when('x'), 5);
  assert.equal(q.rateLimiter.when('x'), 10);
  assert.equal(q.numRequeues('x'), 2);
  q.shutDown();
});
