import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncQueue } from '../../../src/kubelet/streaming/queue.js';

// AsyncQueue.shift: how a tty exec takes the client's first terminal size
// with a bounded wait, leaving later sizes to the resize loop.

test('shift takes a size already queued, or the next one pushed', async () => {
  const q = new AsyncQueue<number>();
  q.push(1);
  assert.equal(await q.shift(60_000), 1);
  const next = q.shift(60_000);
  q.push(2);
  assert.equal(await next, 2);
});

test('shift gives up after its wait and loses nothing; the iterator gets what comes later', async () => {
  const q = new AsyncQueue<number>();
  assert.equal(await q.shift(5), undefined);
  q.push(3);
  q.push(4);
  q.end();
  const rest: number[] = [];
  for await (const v of q) rest.push(v);
  assert.deepEqual(rest, [3, 4]);
});

test('shift on an ended queue is undefined at once', async () => {
  const q = new AsyncQueue<number>();
  const waiting = q.shift(60_000);
  q.end();
  assert.equal(await waiting, undefined);
  assert.equal(await q.shift(60_000), undefined);
});
