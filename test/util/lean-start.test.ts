import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// `k8ts server`, `k8ts apiserver` and `k8ts kubelet` hold V8's young generation at its initial size
// for the process's life (src/util/lean-start.ts). Checked in a fresh process: allocation whose objects
// survive scavenges grows the nursery without the hold and leaves it at its initial size with it.

const leanStart = fileURLToPath(new URL('../../src/util/lean-start.js', import.meta.url));

function nurseryAfterSurvivingAllocation(hold: boolean): { initial: number; after: number } {
  const script = `
    import v8 from 'node:v8';
    const { holdYoungGeneration } = await import(${JSON.stringify(leanStart)});
    const size = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    const initial = size();
    if (${hold}) holdYoungGeneration();
    const kept = [];
    for (let i = 0; i < 400_000; i++) kept.push({ i, s: 'x' + i, a: [i, i + 1] });
    console.log(JSON.stringify({ initial, after: size(), kept: kept.length }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 })) as { initial: number; after: number };
}

test('without the hold, surviving allocation grows the nursery (so the next test can tell)', () => {
  const r = nurseryAfterSurvivingAllocation(false);
  assert.ok(r.after >= 8 * r.initial, `new space ${r.initial} → ${r.after}`);
});

test('holdYoungGeneration keeps the nursery at about its initial size under the same allocation', () => {
  // V8 still rounds one step up (1 → 2 MiB here); without the hold it went to 32 MiB.
  const r = nurseryAfterSurvivingAllocation(true);
  assert.ok(r.after <= 2 * r.initial, `new space ${r.initial} → ${r.after}`);
});

test('busyAfter counts consecutive seconds with many scavenges and starts over after a quiet one', async () => {
  const { busyAfter, BUSY_SCAVENGES_PER_SECOND } = (await import(leanStart)) as typeof import('../../src/util/lean-start.js');
  assert.equal(busyAfter(0, BUSY_SCAVENGES_PER_SECOND), 1);
  assert.equal(busyAfter(1, BUSY_SCAVENGES_PER_SECOND + 5), 2);
  assert.equal(busyAfter(1, BUSY_SCAVENGES_PER_SECOND - 1), 0);
  assert.equal(busyAfter(0, 0), 0);
});

test('holdYoungGenerationUntilBusy holds the nursery while idle and lets it grow under sustained allocation', () => {
  const script = `
    import v8 from 'node:v8';
    const { holdYoungGenerationUntilBusy } = await import(${JSON.stringify(leanStart)});
    const size = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    const initial = size();
    let released = false;
    holdYoungGenerationUntilBusy(() => (released = true));
    // Idle for a while: no release.
    await new Promise((r) => setTimeout(r, 2500));
    const releasedWhenIdle = released;
    // Busy: short-lived garbage plus survivors, in slices so the 1 s check can run; at most 20 s.
    let kept = [];
    const began = Date.now();
    while (!released && Date.now() - began < 20_000) {
      for (let i = 0; i < 50_000; i++) kept.push({ i, s: 'x' + i });
      if (kept.length > 200_000) kept = [];
      await new Promise((r) => setImmediate(r));
    }
    for (let i = 0; i < 400_000; i++) kept.push({ i, s: 'y' + i, a: [i] });
    console.log(JSON.stringify({ initial, after: size(), releasedWhenIdle, released }));`;
  const r = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 })) as {
    initial: number;
    after: number;
    releasedWhenIdle: boolean;
    released: boolean;
  };
  assert.equal(r.releasedWhenIdle, false);
  assert.equal(r.released, true);
  assert.ok(r.after >= 4 * r.initial, `new space ${r.initial} → ${r.after}`);
});
