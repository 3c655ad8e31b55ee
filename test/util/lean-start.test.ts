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
