// A priority level's seats and queues: a request beyond the seats waits, a
// freed seat goes to the least-served queue (fair between flows), a full
// queue or a level that does not queue refuses, a wait past the limit or a
// client that leaves ends the wait.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { QueueSet, type Seat } from '../../../src/apiserver/flowcontrol/queue-set.js';

const NO_WAIT_LIMIT = 0;

/** Two flow names whose one-queue hands differ, so each flow has a queue of its own. */
function twoFlows(qs: QueueSet): [string, string] {
  const a = 'flow-a';
  for (let i = 0; i < 1000; i++) {
    const b = `flow-b-${i}`;
    if (qs.handOf(b)[0] !== qs.handOf(a)[0]) return [a, b];
  }
  throw new Error('no two flows with different queues');
}

describe('queue set', () => {
  test('requests beyond the seats wait and start in order as seats free', async () => {
    const qs = new QueueSet(2, { queues: 8, handSize: 2, queueLengthLimit: 10 }, NO_WAIT_LIMIT);
    const s1 = qs.tryStart('f');
    const s2 = qs.tryStart('f');
    assert.ok(s1 && s2);
    assert.equal(qs.tryStart('f'), undefined, 'no third seat');
    const started: number[] = [];
    const waits = [1, 2, 3].map((i) => {
      const w = qs.enqueue('f');
      void w.outcome.then((o) => {
        if (typeof o !== 'string') started.push(i);
      });
      return w;
    });
    assert.equal(qs.waiting, 3);
    assert.equal(qs.tryStart('other'), undefined, 'nobody jumps a queue while requests wait');
    s1.release();
    s1.release(); // a second release is a no-op
    await waits[0]!.outcome;
    assert.deepEqual(started, [1]);
    assert.equal(qs.executing, 2);
    s2.release();
    const third = (await waits[1]!.outcome) as Seat;
    third.release();
    const last = (await waits[2]!.outcome) as Seat;
    assert.deepEqual(started, [1, 2, 3]);
    assert.equal(qs.waiting, 0);
    last.release();
    assert.equal(qs.executing, 1);
  });

  test('a freed seat goes to the flow that has had the least service, not to the longest queue', async () => {
    const qs = new QueueSet(1, { queues: 64, handSize: 1, queueLengthLimit: 50 }, NO_WAIT_LIMIT);
    const [a, b] = twoFlows(qs);
    let seat = qs.tryStart(a)!;
    const order: string[] = [];
    const started: Seat[] = [];
    const push = (flow: string, label: string): void => {
      void qs.enqueue(flow).outcome.then((o) => {
        assert.notEqual(typeof o, 'string', `${label} refused: ${String(o)}`);
        order.push(label);
        started.push(o as Seat);
      });
    };
    for (let i = 0; i < 6; i++) push(a, `a${i}`);
    // b arrives after a has queued six: fair queuing serves it next rather than after all of a's.
    push(b, 'b0');
    push(b, 'b1');
    for (let i = 0; i < 8; i++) {
      seat.release();
      await new Promise((r) => setImmediate(r));
      assert.equal(started.length, 1, 'one seat, one start per release');
      seat = started.shift()!;
    }
    seat.release();
    assert.equal(order[0], 'b0', order.join(' '));
    assert.ok(order.indexOf('b1') <= 2, `b's second request is served within a's first two: ${order.join(' ')}`);
    assert.deepEqual(order.filter((l) => l.startsWith('a')), ['a0', 'a1', 'a2', 'a3', 'a4', 'a5'], 'each flow in its own order');
  });

  test('a full queue refuses; a level that does not queue refuses when its seats are taken', async () => {
    const qs = new QueueSet(1, { queues: 4, handSize: 1, queueLengthLimit: 2 }, NO_WAIT_LIMIT);
    const seat = qs.tryStart('f')!;
    const w1 = qs.enqueue('f');
    const w2 = qs.enqueue('f');
    assert.equal(qs.refusal('f'), 'queue-full');
    assert.equal(await qs.enqueue('f').outcome, 'queue-full');
    assert.equal(qs.waiting, 2);
    seat.release();
    ((await w1.outcome) as Seat).release();
    ((await w2.outcome) as Seat).release();

    const reject = new QueueSet(1, undefined, NO_WAIT_LIMIT);
    const only = reject.tryStart('f')!;
    assert.equal(reject.refusal('f'), 'concurrency-limit');
    only.release();
    assert.equal(reject.refusal('f'), undefined);
  });

  test('a wait ends with time-out past the wait limit, or cancelled when the client leaves; the seat then goes to the next', async () => {
    const qs = new QueueSet(1, { queues: 4, handSize: 1, queueLengthLimit: 10 }, 20);
    const seat = qs.tryStart('f')!;
    // The wait limit's timer does not hold a server's process open; this one holds the test's until it fires.
    const keepAlive = setInterval(() => undefined, 1000);
    const timedOut = await qs.enqueue('f').outcome;
    clearInterval(keepAlive);
    assert.equal(timedOut, 'time-out');
    assert.equal(qs.waiting, 0);
    const leaving = qs.enqueue('f');
    const staying = qs.enqueue('f');
    leaving.cancel();
    assert.equal(await leaving.outcome, 'cancelled');
    seat.release();
    const next = await staying.outcome;
    assert.notEqual(typeof next, 'string');
    (next as Seat).release();
    assert.equal(qs.executing, 0);
  });

  test('an unlimited level never waits', () => {
    const qs = new QueueSet(Infinity, undefined, NO_WAIT_LIMIT);
    const seats = Array.from({ length: 1000 }, () => qs.tryStart('f'));
    assert.ok(seats.every((s) => s !== undefined));
    assert.equal(qs.executing, 1000);
  });
});
