import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedTicker } from '../../src/kubelet/util/ticker.js';
import { SmoothTicker } from '../../src/hollow/smooth-ticker.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until every counter has reached `min`, at most `ms`, and says which did not. */
async function allReach(counts: number[], min: number, ms: number, from = 0): Promise<void> {
  const deadline = Date.now() + ms;
  while (counts.slice(from).some((c) => c < min)) {
    if (Date.now() > deadline) assert.fail(`after ${ms} ms, ${counts.slice(from).filter((c) => c < min).length} of ${counts.length - from} tasks had run fewer than ${min} times`);
    await sleep(10);
  }
}

for (const [name, make] of [['SharedTicker', () => new SharedTicker()], ['SmoothTicker', () => new SmoothTicker()]] as const) {
  test(`${name}: every registration runs repeatedly, one registered twice runs twice, a stopped one no more`, async () => {
    const ticker = make();
    const counts = Array.from({ length: 40 }, () => 0);
    const regs = counts.map((_, i) => ticker.every(100, () => counts[i]!++));
    let twice = 0;
    const fn = (): void => {
      twice++;
    };
    const a = ticker.every(100, fn);
    const b = ticker.every(100, fn);
    await allReach(counts, 3, 20_000);
    assert.ok(twice >= 4, `a function registered twice ran ${twice} times`);
    regs[0]!.stop();
    regs[0]!.stop();
    const frozen = counts[0]!;
    await allReach(counts, Math.max(...counts) + 2, 20_000, 1);
    assert.equal(counts[0], frozen, 'a stopped registration ran again');
    for (const r of regs) r.stop();
    a.stop();
    b.stop();
  });
}

test('a task that throws does not stop the others', async () => {
  const ticker = new SharedTicker();
  const counts = [0];
  const bad = ticker.every(50, () => {
    throw new Error('boom');
  });
  const good = ticker.every(50, () => counts[0]!++);
  await allReach(counts, 3, 20_000);
  bad.stop();
  good.stop();
});

test('SmoothTicker spreads registrations over its slots: no slot gets many more than its share', () => {
  // 2,000 registrations over a 20 s period's 2,000 slots: with the emptiest of four, no slot should hold more than a few.
  const ticker = new SmoothTicker();
  const regs = Array.from({ length: 2000 }, () => ticker.every(20_000, () => undefined));
  const wheels = (ticker as unknown as { wheels: Map<number, { slots: Set<unknown>[] }> }).wheels;
  const sizes = wheels.get(20_000)!.slots.map((s) => s.size);
  assert.equal(sizes.length, 2000);
  assert.ok(Math.max(...sizes) <= 4, `fullest slot holds ${Math.max(...sizes)}`);
  for (const r of regs) r.stop();
  assert.equal(wheels.size, 0, 'the wheel is dropped with its last registration');
});
