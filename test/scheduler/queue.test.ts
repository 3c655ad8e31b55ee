import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulingQueue } from '../../src/scheduler/queue/scheduling-queue.js';
import { PrioritySort } from '../../src/scheduler/plugins/prioritysort/priority-sort.js';
import { SchedulingGates } from '../../src/scheduler/plugins/schedulinggates/scheduling-gates.js';
import { NODE_ADD, ASSIGNED_POD_DELETE } from '../../src/scheduler/queue/events.js';
import type { Pod } from '../../src/scheduler/framework/types.js';

const pod = (name: string, priority = 0, extra: Partial<Pod['spec']> = {}): Pod => ({ metadata: { name, namespace: 'default', uid: name }, spec: { containers: [{ name: 'c' }], priority, ...extra } });

function queue(now: { t: number }) {
  const sort = new PrioritySort();
  const gates = new SchedulingGates();
  return new SchedulingQueue({
    less: (a, b) => sort.less(a, b),
    preEnqueue: (p) => gates.preEnqueue(p).withPlugin('SchedulingGates'),
    pluginEvents: new Map([
      ['NodeResourcesFit', [NODE_ADD, ASSIGNED_POD_DELETE]],
      ['TaintToleration', [NODE_ADD]],
    ]),
    now: () => now.t,
  });
}

test('active queue: higher priority first, then older', async () => {
  const now = { t: 1000 };
  const q = queue(now);
  q.add(pod('low', 0));
  now.t++;
  q.add(pod('high', 100));
  now.t++;
  q.add(pod('low2', 0));
  const order = [];
  for (let i = 0; i < 3; i++) order.push((await q.pop())!.info.name);
  assert.deepEqual(order, ['high', 'low', 'low2']);
});

test('unschedulable pods wait for an event their plugins care about, then back off', async () => {
  const now = { t: 0 };
  const q = queue(now);
  q.add(pod('a'));
  const qa = (await q.pop())!;
  const cycle = q.currentCycle;
  qa.unschedulablePlugins = new Set(['TaintToleration']);
  q.addUnschedulable(qa, cycle);
  assert.deepEqual(q.pendingPods().unschedulable, ['default/a']);
  q.moveAllToActiveOrBackoff(ASSIGNED_POD_DELETE);
  assert.deepEqual(q.pendingPods().unschedulable, ['default/a'], 'TaintToleration does not care about pod deletions');
  q.moveAllToActiveOrBackoff(NODE_ADD);
  assert.deepEqual(q.pendingPods().backoff, ['default/a'], 'still backing off (1 s after 1 attempt)');
  now.t += 1001;
  q.flushBackoffCompleted();
  assert.equal((await q.pop())!.info.name, 'a');
  q.close();
});

test('a failure that raced with a cluster event goes to backoff, not unschedulable', async () => {
  const now = { t: 0 };
  const q = queue(now);
  q.add(pod('a'));
  const qa = (await q.pop())!;
  const cycle = q.currentCycle;
  q.moveAllToActiveOrBackoff(NODE_ADD); // while "a" is being scheduled
  qa.unschedulablePlugins = new Set(['NodeResourcesFit']);
  q.addUnschedulable(qa, cycle);
  assert.deepEqual(q.pendingPods().backoff, ['default/a']);
});

test('back-off doubles per attempt up to the maximum', async () => {
  const now = { t: 0 };
  const q = queue(now);
  q.add(pod('a'));
  for (const wait of [1000, 2000, 4000, 8000, 10000, 10000]) {
    const qa = (await q.pop())!;
    qa.lastError = true;
    q.addUnschedulable(qa, q.currentCycle);
    now.t += wait - 1;
    q.flushBackoffCompleted();
    assert.deepEqual(q.pendingPods().active, [], `still waiting before ${wait} ms`);
    now.t += 1;
    q.flushBackoffCompleted();
    assert.deepEqual(q.pendingPods().active, ['default/a'], `released after ${wait} ms`);
  }
});

test('gated pods stay out of the active queue until their gates are removed', async () => {
  const now = { t: 0 };
  const q = queue(now);
  const gated = pod('g', 0, { schedulingGates: [{ name: 'example.com/wait' }] });
  q.add(gated);
  assert.deepEqual(q.pendingPods().unschedulable, ['default/g']);
  q.update(gated, pod('g'));
  assert.equal((await q.pop())!.info.name, 'g');
});

test('deleting a pod removes it from every sub-queue and the nominator', () => {
  const q = queue({ t: 0 });
  q.add(pod('a'));
  q.delete(pod('a'));
  assert.equal(q.has('default/a'), false);
});
