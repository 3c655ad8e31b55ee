import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assistStep, initialAssist, QUIET_SECONDS, SETTLE_SECONDS, WINDOW_SECONDS, type GcSecond } from '../../src/util/idle-reducer.js';

// The idle assist of V8's memory reducer (src/util/idle-reducer.ts): --optimize-for-size is set
// only while the process is quiet, and put back when the reducer is done, the window runs out or
// the process gets busy.

const quiet = (now: number, more: Partial<GcSecond> = {}): GcSecond => ({ now, scavenges: 0, markCompacts: 0, reductions: 0, ...more });

test('the window opens after QUIET_SECONDS quiet seconds and closes SETTLE_SECONDS after the reducer ran', () => {
  const s = initialAssist();
  let now = 0;
  // Start-up: busy seconds keep it closed.
  assert.equal(assistStep(s, quiet(++now, { scavenges: 30 })), null);
  for (let i = 1; i < QUIET_SECONDS; i++) assert.equal(assistStep(s, quiet(++now)), null);
  assert.equal(assistStep(s, quiet(++now)), 'open');
  assert.equal(assistStep(s, quiet(++now)), null);
  assert.equal(assistStep(s, quiet(++now, { reductions: 2 })), null);
  for (let i = 1; i < SETTLE_SECONDS; i++) assert.equal(assistStep(s, quiet(++now)), null);
  assert.equal(assistStep(s, quiet(++now)), 'close');
  // Nothing waits in the reducer now: quiet seconds alone do not open it again.
  for (let i = 0; i < 3 * WINDOW_SECONDS; i++) assert.equal(assistStep(s, quiet(++now)), null);
  // An ordinary mark-compact sets the reducer waiting again; the process has long been quiet.
  assert.equal(assistStep(s, quiet(++now, { markCompacts: 1 })), 'open');
});

test('a busy second closes the window at once, and the next quiet stretch opens it again', () => {
  const s = initialAssist();
  let now = 0;
  while (assistStep(s, quiet(++now)) !== 'open') assert.ok(now < 10, 'never opened');
  assert.equal(assistStep(s, quiet(++now, { scavenges: 5 })), 'close');
  let opened = false;
  for (let i = 0; i < QUIET_SECONDS && !opened; i++) opened = assistStep(s, quiet(++now)) === 'open';
  assert.equal(opened, false, 'the window closed without the reducer must wait for a mark-compact');
  assert.equal(assistStep(s, quiet(++now, { markCompacts: 1 })), 'open');
});

test('the window closes after WINDOW_SECONDS when the reducer never runs', () => {
  const s = initialAssist();
  let now = 0;
  while (assistStep(s, quiet(++now)) !== 'open') assert.ok(now < 10, 'never opened');
  const opened = now;
  let step: string | null = null;
  while (step === null && now < opened + 2 * WINDOW_SECONDS) step = assistStep(s, quiet(++now));
  assert.equal(step, 'close');
  assert.equal(now - opened, WINDOW_SECONDS);
});

test('in a fresh process that went quiet after allocating, the reducer gives the heap back within the window', () => {
  // Only that the reducer runs and the heap shrinks is checked, not when: a plain process like this one
  // is often judged idle by V8 without the assist too (its collections then came ~15 s in, with the
  // assist ~8 s in), unlike an idle server.
  const idleReducer = fileURLToPath(new URL('../../src/util/idle-reducer.js', import.meta.url));
  const script = `
    import { PerformanceObserver, constants } from 'node:perf_hooks';
    const { assistMemoryReducerWhenIdle } = await import(${JSON.stringify(idleReducer)});
    let reductions = 0;
    new PerformanceObserver((l) => { for (const e of l.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR && e.detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_ALL_EXTERNAL_MEMORY) reductions++; }).observe({ entryTypes: ['gc'] });
    let kept = [];
    for (let i = 0; i < 400_000; i++) { const o = { s: 'x'.repeat(20) + i, a: [i] }; if (i % 10 === 0) kept.push(o); }
    const before = process.memoryUsage().heapTotal;
    const stop = assistMemoryReducerWhenIdle();
    // A trickle of allocation, as an idle server's timers make.
    const trickle = setInterval(() => { for (let i = 0; i < 3000; i++) kept.length < 50_000 ? kept.push({ i }) : kept.pop(); }, 50);
    const began = Date.now();
    while (reductions === 0 && Date.now() - began < 25_000) await new Promise((r) => setTimeout(r, 200));
    clearInterval(trickle);
    stop();
    console.log(JSON.stringify({ reductions, seconds: (Date.now() - began) / 1000, before, after: process.memoryUsage().heapTotal }));`;
  const r = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 })) as {
    reductions: number;
    seconds: number;
    before: number;
    after: number;
  };
  assert.ok(r.reductions > 0, `no memory-reducing collection within 25 s: ${JSON.stringify(r)}`);
  assert.ok(r.after < r.before, `heap not given back: ${JSON.stringify(r)}`);
});
