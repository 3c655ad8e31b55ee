import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeHash, fnv32a, safeEncodeString } from '../../../src/controllers/shared/hash.js';
import { podsToDelete } from '../../../src/controllers/shared/pod-ranking.js';
import { slowStartBatch } from '../../../src/controllers/shared/pod-control.js';
import { Expectations, EXPECTATIONS_TIMEOUT_MS } from '../../../src/controllers/shared/expectations.js';
import { equalIgnoreHash, maxSurge, maxUnavailable, newRSNewReplicas, resolveFenceposts, scaledValue, setNewReplicaSetAnnotations } from '../../../src/controllers/deployment/util.js';
import { maxScaledDown, rollingScaleDownPlan } from '../../../src/controllers/deployment/rolling.js';
import { proportionalSizes } from '../../../src/controllers/deployment/scale.js';
import { backoffRemainingMs, wantActive } from '../../../src/controllers/job/policy.js';
import { formatIndexes, parseIndexes } from '../../../src/controllers/job/indexes.js';
import { nodeShouldRunDaemonPod } from '../../../src/controllers/daemonset/placement.js';
import type { Deployment, Pod, ReplicaSet } from '../../../src/controllers/shared/types.js';

const deploy = (replicas: number, maxSurge?: number | string, maxUnavailable?: number | string): Deployment => ({
  metadata: { name: 'd' },
  spec: { replicas, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } } },
});
const rs = (name: string, replicas: number, available = replicas, created = '2024-01-01T00:00:00Z', annotations: Record<string, string> = {}): ReplicaSet => ({
  metadata: { name, creationTimestamp: created, annotations },
  spec: { replicas },
  status: { replicas, availableReplicas: available },
});

describe('hash', () => {
  test('fnv32a matches the reference vectors', () => {
    assert.equal(fnv32a(new TextEncoder().encode('')), 0x811c9dc5);
    assert.equal(fnv32a(new TextEncoder().encode('a')), 0xe40c292c);
    assert.equal(fnv32a(new TextEncoder().encode('foobar')), 0xbf9cf968);
  });
  test('safe encoding maps digits onto the vowel-free alphabet', () => {
    // '0' is code point 48: 48 % 27 = 21, the alphabet's '4'.
    assert.equal(safeEncodeString('0123456789'), '456789bcdf');
  });
  test('equal templates hash alike regardless of key order or empty fields; collisions change the hash', () => {
    const a = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i', resources: {} }] } };
    const b = { spec: { containers: [{ image: 'i', name: 'c' }] }, metadata: { labels: { app: 'x' } } };
    assert.equal(computeHash(a), computeHash(b));
    assert.notEqual(computeHash(a), computeHash(a, 1));
    assert.match(computeHash(a), /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });
});

describe('rolling update arithmetic', () => {
  test('percentages: surge rounds up, unavailable down; both zero becomes unavailable 1', () => {
    assert.deepEqual(resolveFenceposts('25%', '25%', 3), { surge: 1, unavailable: 0 });
    assert.deepEqual(resolveFenceposts('25%', '25%', 10), { surge: 3, unavailable: 2 });
    assert.deepEqual(resolveFenceposts(0, 0, 5), { surge: 0, unavailable: 1 });
    assert.deepEqual(resolveFenceposts('0%', '0%', 5), { surge: 0, unavailable: 1 });
    assert.equal(scaledValue('50%', 5, true), 3);
    assert.equal(scaledValue('50%', 5, false), 2);
    assert.equal(scaledValue('7', 5, false), 7);
    assert.throws(() => scaledValue('x%', 5, false));
  });
  test('maxUnavailable is capped at replicas, and zero for zero replicas or Recreate', () => {
    assert.equal(maxUnavailable(deploy(2, 0, 5)), 2);
    assert.equal(maxUnavailable(deploy(0, 1, 1)), 0);
    assert.equal(maxUnavailable({ metadata: {}, spec: { replicas: 3, strategy: { type: 'Recreate' } } }), 0);
    assert.equal(maxSurge({ metadata: {}, spec: { replicas: 3, strategy: { type: 'Recreate' } } }), 0);
  });
  test('the new set grows only up to replicas + maxSurge', () => {
    const d = deploy(10, 3, 2);
    const old = rs('old', 10);
    const nu = rs('new', 0);
    assert.equal(newRSNewReplicas(d, [old, nu], nu), 3);
    assert.equal(newRSNewReplicas(d, [rs('old', 9), rs('new', 3)], rs('new', 3)), 4);
    assert.equal(newRSNewReplicas(d, [rs('old', 13), nu], nu), 0);
  });
  test('old sets shrink while availability stays at replicas - maxUnavailable', () => {
    const d = deploy(10, 3, 2);
    const old = rs('old', 10);
    const nu = rs('new', 3, 0);
    // 13 pods, 8 must stay available, 3 new unavailable: 2 may go.
    assert.equal(maxScaledDown(d, [old, nu], nu), 2);
    const plan = rollingScaleDownPlan(d, [old, nu], [old]);
    assert.equal(plan.get(old), 8);
  });
  test('older old sets are scaled down first', () => {
    const d = deploy(4, 0, 2);
    const a = rs('a', 2, 2, '2024-01-01T00:00:00Z');
    const b = rs('b', 2, 2, '2024-01-02T00:00:00Z');
    const plan = rollingScaleDownPlan(d, [a, b, rs('n', 0)], [b, a]);
    assert.equal(plan.get(a), 0);
    assert.equal(plan.has(b), false);
  });
  test('proportional scaling spreads new replicas by set size, leftovers to the largest', () => {
    const d = deploy(15, 3, 0);
    const a = rs('a', 6, 6, '2024-01-01T00:00:00Z', { 'deployment.kubernetes.io/max-replicas': '13' });
    const b = rs('b', 4, 4, '2024-01-02T00:00:00Z', { 'deployment.kubernetes.io/max-replicas': '13' });
    const { sizes, operation } = proportionalSizes(d, [a, b]);
    assert.equal(operation, 'up');
    assert.equal(sizes.get('a')! + sizes.get('b')!, 18);
    assert.ok(sizes.get('a')! > sizes.get('b')!);
  });
  test('templates compare equal without the pod-template-hash label', () => {
    const t1 = { metadata: { labels: { app: 'x', 'pod-template-hash': 'abc' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    const t2 = { metadata: { labels: { app: 'x' }, creationTimestamp: null }, spec: { containers: [{ name: 'c', image: 'i', resources: {} }] } };
    assert.ok(equalIgnoreHash(t1, t2 as never));
    assert.ok(!equalIgnoreHash(t1, { ...t2, spec: { containers: [{ name: 'c', image: 'j' }] } } as never));
  });
  test('a set rolled back to gets the new revision and remembers the old one', () => {
    const d = deploy(1);
    const set = rs('r', 1, 1, undefined, { 'deployment.kubernetes.io/revision': '1' });
    assert.ok(setNewReplicaSetAnnotations(d, set, 3, true));
    assert.equal(set.metadata.annotations!['deployment.kubernetes.io/revision'], '3');
    assert.equal(set.metadata.annotations!['deployment.kubernetes.io/revision-history'], '1');
    assert.ok(!setNewReplicaSetAnnotations(d, set, 3, true));
  });
});

describe('which pods go first on scale-down', () => {
  const now = Date.parse('2024-06-01T00:00:00Z');
  const pod = (name: string, o: { node?: string; phase?: string; ready?: boolean; readySince?: string; restarts?: number; created?: string; cost?: string } = {}): Pod => ({
    metadata: { name, uid: name, creationTimestamp: o.created ?? '2024-05-01T00:00:00Z', annotations: o.cost ? { 'controller.kubernetes.io/pod-deletion-cost': o.cost } : undefined },
    spec: { nodeName: o.node },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: o.readySince ?? '2024-05-01T00:00:00Z' }],
      containerStatuses: [{ name: 'c', restartCount: o.restarts ?? 0 }],
    },
  });
  const names = (ps: Pod[]) => ps.map((p) => p.metadata.name);
  test('unassigned, then pending, then not ready', () => {
    const ps = [pod('run', { node: 'n' }), pod('unready', { node: 'n', ready: false }), pod('pending', { node: 'n', phase: 'Pending', ready: false }), pod('unassigned', { phase: 'Pending', ready: false })];
    assert.deepEqual(names(podsToDelete(ps, ps, 3, now)), ['unassigned', 'pending', 'unready']);
  });
  test('lower deletion cost, then doubled-up nodes, then more restarts, then newer', () => {
    const ps = [pod('a', { node: 'n1', cost: '10' }), pod('b', { node: 'n1' }), pod('c', { node: 'n2' })];
    assert.deepEqual(names(podsToDelete(ps, ps, 1, now)), ['b']);
    const rest = [pod('x', { node: 'n1' }), pod('y', { node: 'n2', restarts: 4 })];
    assert.deepEqual(names(podsToDelete(rest, rest, 1, now)), ['y']);
    const young = [pod('old', { node: 'n1', readySince: '2024-01-01T00:00:00Z' }), pod('new', { node: 'n2', readySince: '2024-05-31T23:59:00Z' })];
    assert.deepEqual(names(podsToDelete(young, young, 1, now)), ['new']);
  });
});

describe('slow start and expectations', () => {
  test('batches double and stop at the first failing batch', async () => {
    let calls = 0;
    const r = await slowStartBatch(10, 1, async () => {
      calls++;
      if (calls === 4) throw new Error('quota');
    });
    // Batches of 1, 2, then 4 (where call 4 fails): 7 calls, 6 successes.
    assert.equal(calls, 7);
    assert.equal(r.successes, 6);
    assert.equal((r.error as Error).message, 'quota');
  });
  test('unsatisfied until every create and delete is observed, or the expectation expires', () => {
    let t = 0;
    const e = new Expectations(() => t);
    assert.ok(e.satisfied('k'));
    e.expectCreations('k', 2);
    e.creationObserved('k');
    assert.ok(!e.satisfied('k'));
    e.creationObserved('k');
    assert.ok(e.satisfied('k'));
    e.expectDeletions('k', ['ns/a']);
    e.deletionObserved('k', 'ns/other');
    assert.ok(!e.satisfied('k'));
    t += EXPECTATIONS_TIMEOUT_MS + 1;
    assert.ok(e.satisfied('k'));
  });
});

describe('job policy', () => {
  test('active pods wanted from parallelism and remaining completions', () => {
    assert.equal(wantActive({ parallelism: 2, completions: 3 }, 0, 0), 2);
    assert.equal(wantActive({ parallelism: 2, completions: 3 }, 2, 2), 1);
    assert.equal(wantActive({ parallelism: 2, completions: 3 }, 0, 3), 0);
    assert.equal(wantActive({ parallelism: 4 }, 3, 0), 4);
    assert.equal(wantActive({ parallelism: 4 }, 3, 1), 3);
  });
  test('back-off doubles from 10 s per failure, capped at 10 min', () => {
    assert.equal(backoffRemainingMs(0, 0, 0), 0);
    assert.equal(backoffRemainingMs(1, 1000, 1000), 10_000);
    assert.equal(backoffRemainingMs(3, 0, 5000), 35_000);
    assert.equal(backoffRemainingMs(20, 0, 0), 600_000);
  });
  test('completed indexes round-trip as intervals', () => {
    assert.equal(formatIndexes([5, 0, 1, 2, 7, 8]), '0-2,5,7-8');
    assert.deepEqual([...parseIndexes('0-2,5', 4)].sort(), [0, 1, 2]);
  });
});

describe('daemon placement', () => {
  const n = (o: { labels?: Record<string, string>; taints?: { key: string; value?: string; effect: string }[] } = {}) => ({ metadata: { name: 'n1', labels: o.labels }, spec: { taints: o.taints } });
  test('node selector and required affinity', () => {
    assert.ok(nodeShouldRunDaemonPod(n({ labels: { disk: 'ssd' } }), { nodeSelector: { disk: 'ssd' } }).shouldRun);
    assert.ok(!nodeShouldRunDaemonPod(n(), { nodeSelector: { disk: 'ssd' } }).shouldRun);
    const aff = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }] } } };
    assert.ok(!nodeShouldRunDaemonPod(n(), { affinity: aff }).shouldRun);
  });
  test('NoSchedule keeps new pods off; NoExecute evicts; daemon tolerations cover node conditions', () => {
    const ns = nodeShouldRunDaemonPod(n({ taints: [{ key: 'k', effect: 'NoSchedule' }] }), {});
    assert.deepEqual(ns, { shouldRun: false, shouldContinueRunning: true });
    const ne = nodeShouldRunDaemonPod(n({ taints: [{ key: 'k', effect: 'NoExecute' }] }), {});
    assert.deepEqual(ne, { shouldRun: false, shouldContinueRunning: false });
    const cond = nodeShouldRunDaemonPod(n({ taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] }), {});
    assert.deepEqual(cond, { shouldRun: true, shouldContinueRunning: true });
    const tol = nodeShouldRunDaemonPod(n({ taints: [{ key: 'k', value: 'v', effect: 'NoExecute' }] }), { tolerations: [{ key: 'k', operator: 'Equal', value: 'v' }] });
    assert.ok(tol.shouldRun);
  });
});
