import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rawResourceReplicas, resourceReplicas, type CalculatorOptions, type PodMetrics } from '../../src/controllers/podautoscaler/replica-calculator.js';
import { Normalizer, convertDesiredReplicasWithRules, scaleDownLimitWithRules, scaleUpLimitWithRules } from '../../src/controllers/podautoscaler/normalize.js';
import type { Pod } from '../../src/controllers/shared/types.js';

// The HPA's arithmetic, case by case as upstream's replica calculator and
// horizontal controller tests state it.

const NOW = Date.parse('2026-01-01T12:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const opts: CalculatorOptions = { tolerance: 0.1, cpuInitializationPeriodMs: 300_000, initialReadinessDelayMs: 30_000, now: () => NOW };

function pod(name: string, o: { phase?: string; ready?: boolean; startedAgoMs?: number; readySinceAgoMs?: number; cpu?: string; deleted?: boolean } = {}): Pod {
  const started = NOW - (o.startedAgoMs ?? 600_000);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns', ...(o.deleted ? { deletionTimestamp: iso(NOW) } : {}) },
    spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: o.cpu ?? '100m', memory: '100Mi' } } }] },
    status: {
      phase: o.phase ?? 'Running',
      startTime: iso(started),
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: iso(NOW - (o.readySinceAgoMs ?? 590_000)) }],
    },
  } as unknown as Pod;
}

const metrics = (m: Record<string, number>): PodMetrics => new Map(Object.entries(m).map(([k, v]) => [k, { value: v, timestamp: NOW - 1000, windowMs: 15_000 }]));

test('utilization: ceil(ratio × ready pods); within the 10 % tolerance nothing moves', () => {
  const pods = [pod('a'), pod('b'), pod('c')];
  // 3 pods at 100m request using 90m each: 90 % against a 50 % target → ceil(1.8 × 3) = 6.
  let r = resourceReplicas(3, 50, 'cpu', pods, metrics({ a: 90, b: 90, c: 90 }), opts);
  assert.deepEqual(r, { replicas: 6, utilization: 90, rawAverage: 90 });
  // 54 % against 50 %: ratio 1.08, inside the tolerance.
  r = resourceReplicas(3, 50, 'cpu', pods, metrics({ a: 54, b: 54, c: 54 }), opts);
  assert.equal(r.replicas, 3);
  // 56 %: ratio 1.12, outside: ceil(3.36) = 4.
  assert.equal(resourceReplicas(3, 50, 'cpu', pods, metrics({ a: 56, b: 56, c: 56 }), opts).replicas, 4);
  // 10 %: scale down to ceil(0.2 × 3) = 1.
  assert.equal(resourceReplicas(3, 50, 'cpu', pods, metrics({ a: 10, b: 10, c: 10 }), opts).replicas, 1);
});

test('unready pods count as 0 % on a scale-up and are left out otherwise', () => {
  // c started 10 s ago and is not ready yet: it is "unready" for CPU.
  const pods = [pod('a'), pod('b'), pod('c', { ready: false, startedAgoMs: 10_000, readySinceAgoMs: 10_000 })];
  // a, b at 100 % (ratio 2). With c at 0: (100+100+0)/300 = 66 % → ratio 1.33 → ceil(1.33 × 3) = 4.
  const r = resourceReplicas(3, 50, 'cpu', pods, metrics({ a: 100, b: 100, c: 300 }), opts);
  assert.deepEqual(r, { replicas: 4, utilization: 100, rawAverage: 100 });
  // Scale-down: unready pods are simply ignored: (20+20)/200 = 20 % → ceil(0.4 × 2) = 1.
  assert.equal(resourceReplicas(3, 50, 'cpu', pods, metrics({ a: 20, b: 20, c: 300 }), opts).replicas, 1);
  // A pending pod is unready too: a at 200 %, p at 0 → 100 % → ratio 2 → ceil(2 × 2) = 4; at 100 % it would be 50 %: stay.
  assert.equal(resourceReplicas(2, 50, 'cpu', [pod('a'), pod('p', { phase: 'Pending' })], metrics({ a: 200 }), opts).replicas, 4);
  assert.equal(resourceReplicas(2, 50, 'cpu', [pod('a'), pod('p', { phase: 'Pending' })], metrics({ a: 100 }), opts).replicas, 2);
  // A ready pod within its first 5 minutes whose sample predates a full window since it turned ready is unready.
  const young = pod('y', { startedAgoMs: 60_000, readySinceAgoMs: 5_000 });
  assert.equal(resourceReplicas(2, 50, 'cpu', [pod('a'), young], metrics({ a: 200, y: 200 }), opts).replicas, 4);
  // The same pod ready for longer than a window counts: (200+200)/200 = 200 % → ceil(4 × 2) = 8.
  assert.equal(resourceReplicas(2, 50, 'cpu', [pod('a'), pod('y', { startedAgoMs: 60_000, readySinceAgoMs: 30_000 })], metrics({ a: 200, y: 200 }), opts).replicas, 8);
});

test('missing pods: 100 % of request on a scale-down, 0 % on a scale-up; a move that changes direction is dropped', () => {
  const pods = [pod('a'), pod('b'), pod('m')];
  // Scale-down with m missing: a, b at 10 % → with m at 100 %: 40 % → ratio 0.8 → ceil(0.8 × 3) = 3 (no change).
  assert.equal(resourceReplicas(3, 50, 'cpu', pods, metrics({ a: 10, b: 10 }), opts).replicas, 3);
  // a, b at 0 %: with m at 100 %, 33 % → ratio 0.66 → ceil(2) = 2.
  assert.equal(resourceReplicas(3, 50, 'cpu', pods, metrics({ a: 0, b: 0 }), opts).replicas, 2);
  // Scale-up with m missing: a, b at 100 % → with m at 0: 66 % → ratio 1.33 → 4.
  assert.equal(resourceReplicas(3, 50, 'cpu', pods, metrics({ a: 100, b: 100 }), opts).replicas, 4);
  // a, b at 60 %: ratio 1.2, but with m at 0 it is 40 % (ratio 0.8): the direction flips, so stay at 3.
  assert.equal(resourceReplicas(3, 50, 'cpu', pods, metrics({ a: 60, b: 60 }), opts).replicas, 3);
  // Deleted and failed pods are ignored entirely.
  assert.equal(resourceReplicas(2, 50, 'cpu', [pod('a'), pod('d', { deleted: true }), pod('f', { phase: 'Failed' })], metrics({ a: 100, d: 100, f: 100 }), opts).replicas, 2);
});

test('errors as upstream words them', () => {
  assert.throws(() => resourceReplicas(1, 50, 'cpu', [], metrics({}), opts), /no pods returned by selector while calculating replica count/);
  assert.throws(() => resourceReplicas(1, 50, 'cpu', [pod('a', { phase: 'Pending' })], metrics({ a: 1 }), opts), /did not receive metrics for targeted pods \(pods might be unready\)/);
  const noReq = pod('a');
  (noReq.spec as any).containers[0].resources = {};
  assert.throws(() => resourceReplicas(1, 50, 'cpu', [noReq], metrics({ a: 1 }), opts), /missing request for cpu in container c of Pod a/);
});

test('AverageValue: usage per pod against the target value; memory ignores readiness', () => {
  const pods = [pod('a'), pod('b', { ready: false, startedAgoMs: 5_000, readySinceAgoMs: 5_000 })];
  // memory: both count. Average (300+100)/2 = 200 against 100 → 4.
  assert.deepEqual(rawResourceReplicas(2, 100_000, 'memory', pods, metrics({ a: 300_000, b: 100_000 }), opts), { replicas: 4, usage: 200_000 });
  // Within tolerance.
  assert.equal(rawResourceReplicas(2, 100_000, 'memory', pods, metrics({ a: 105_000, b: 100_000 }), opts).replicas, 2);
});

test('without behavior: min/max, the 2× (at least 4) scale-up cap, and the scale-down stabilization window', () => {
  assert.deepEqual(convertDesiredReplicasWithRules(1, 10, 1, 20), { replicas: 4, reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' });
  assert.deepEqual(convertDesiredReplicasWithRules(5, 30, 1, 8), { replicas: 8, reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' });
  assert.equal(convertDesiredReplicasWithRules(5, 0, 2, 8).reason, 'TooFewReplicas');
  let now = NOW;
  const n = new Normalizer(300_000, () => now);
  n.recordInitial('k', 5);
  // A lower recommendation within the window is held at the highest recent one.
  let r = n.normalize('k', 5, 2, 1, 10);
  assert.equal(r.replicas, 5);
  assert.equal(r.conditions[0]!.reason, 'ScaleDownStabilized');
  now += 200_000;
  assert.equal(n.normalize('k', 5, 2, 1, 10).replicas, 5);
  // Once the window has passed the old 5, the 2s rule.
  now += 150_000;
  r = n.normalize('k', 5, 2, 1, 10);
  assert.equal(r.replicas, 2);
  assert.equal(r.conditions[0]!.reason, 'ReadyForNewScale');
  assert.deepEqual(r.conditions[1], { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' });
});

test('behavior: policies per period, selectPolicy Max/Min/Disabled', () => {
  const up = { selectPolicy: 'Max' as const, policies: [{ type: 'Pods' as const, value: 4, periodSeconds: 15 }, { type: 'Percent' as const, value: 100, periodSeconds: 15 }] };
  // From 10: +4 → 14 or +100 % → 20; Max picks 20, Min 14.
  assert.equal(scaleUpLimitWithRules(10, [], [], up, NOW), 20);
  assert.equal(scaleUpLimitWithRules(10, [], [], { ...up, selectPolicy: 'Min' }, NOW), 14);
  assert.equal(scaleUpLimitWithRules(10, [], [], { ...up, selectPolicy: 'Disabled' }, NOW), 10);
  // 6 added 5 s ago count against the period: start was 4 → max(8, 8) = 8.
  assert.equal(scaleUpLimitWithRules(10, [{ change: 6, at: NOW - 5000, outdated: false }], [], up, NOW), 8);
  const down = { selectPolicy: 'Max' as const, policies: [{ type: 'Percent' as const, value: 50, periodSeconds: 60 }, { type: 'Pods' as const, value: 1, periodSeconds: 60 }] };
  // From 10: −50 % → 5, −1 → 9; Max (biggest change) picks 5, Min picks 9.
  assert.equal(scaleDownLimitWithRules(10, [], [], down, NOW), 5);
  assert.equal(scaleDownLimitWithRules(10, [], [], { ...down, selectPolicy: 'Min' }, NOW), 9);

  let now = NOW;
  const n = new Normalizer(300_000, () => now);
  const behavior = { scaleUp: { stabilizationWindowSeconds: 0, ...up, policies: [{ type: 'Pods' as const, value: 2, periodSeconds: 60 }] }, scaleDown: { stabilizationWindowSeconds: 0, ...down } };
  n.recordInitial('k', 2);
  let r = n.normalizeWithBehavior('k', behavior, 2, 10, 1, 20);
  assert.equal(r.replicas, 4);
  assert.deepEqual(r.conditions[1], { type: 'ScalingLimited', status: 'True', reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' });
  n.storeScaleEvent('k', behavior, 2, 4);
  // Within the same 60 s period the +2 budget is spent.
  now += 10_000;
  assert.equal(n.normalizeWithBehavior('k', behavior, 4, 10, 1, 20).replicas, 4);
  // After the period, +2 again.
  now += 60_000;
  assert.equal(n.normalizeWithBehavior('k', behavior, 4, 10, 1, 20).replicas, 6);
  // A scale-up stabilization window holds the lowest recent recommendation.
  const m = new Normalizer(300_000, () => now);
  const slow = { scaleUp: { ...behavior.scaleUp, stabilizationWindowSeconds: 60, policies: [{ type: 'Percent' as const, value: 1000, periodSeconds: 15 }] }, scaleDown: behavior.scaleDown };
  m.recordInitial('s', 3);
  r = m.normalizeWithBehavior('s', slow, 3, 9, 1, 20);
  assert.equal(r.replicas, 3);
  assert.equal(r.conditions[0]!.reason, 'ScaleUpStabilized');
});
