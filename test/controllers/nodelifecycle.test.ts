import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeZoneState, zoneEvictionRate, zoneKey, SwappableLimiter, RateLimitedTimedQueue } from '../../src/controllers/nodelifecycle/zones.js';
import { matchingTolerations, minTolerationMs, noScheduleTaintDiff, swapTaints } from '../../src/controllers/nodelifecycle/taints.js';
import { evictionDelayMs } from '../../src/controllers/nodelifecycle/taint-eviction.js';
import { observeHealth, markConditionsUnknown } from '../../src/controllers/nodelifecycle/health.js';
import type { Node, NodeCondition, Taint } from '../../src/controllers/nodelifecycle/types.js';

const ready = (status: 'True' | 'False' | 'Unknown'): NodeCondition => ({ type: 'Ready', status });
const rates = { nodeEvictionRate: 0.1, secondaryNodeEvictionRate: 0.01, largeClusterSizeThreshold: 50 };

test('zone states follow upstream thresholds', () => {
  assert.equal(computeZoneState([ready('True'), ready('Unknown')], 0.55).state, 'Normal');
  assert.equal(computeZoneState([ready('Unknown'), undefined], 0.55).state, 'FullDisruption');
  // Two not-ready nodes never make a partial disruption, however small the zone.
  assert.equal(computeZoneState([ready('True'), ready('False'), ready('False')], 0.55).state, 'Normal');
  assert.equal(computeZoneState([ready('True'), ready('False'), ready('False'), ready('Unknown')], 0.55).state, 'PartialDisruption');
  assert.equal(computeZoneState([ready('True'), ready('True'), ready('False'), ready('False'), ready('Unknown')], 0.55).state, 'PartialDisruption');
  assert.equal(computeZoneState([ready('True'), ready('True'), ready('True'), ready('False'), ready('False'), ready('Unknown')], 0.55).state, 'Normal');
  assert.equal(computeZoneState([], 0.55).state, 'Normal');
});

test('eviction rates per zone state', () => {
  assert.equal(zoneEvictionRate('Normal', 3, rates), 0.1);
  assert.equal(zoneEvictionRate('FullDisruption', 3, rates), 0.1);
  assert.equal(zoneEvictionRate('PartialDisruption', 3, rates), 0, 'small clusters stop evicting in a partial disruption');
  assert.equal(zoneEvictionRate('PartialDisruption', 51, rates), 0.01);
});

test('zone keys as upstream GetZoneKey', () => {
  assert.equal(zoneKey({ metadata: {} }), '');
  assert.equal(zoneKey({ metadata: { labels: { 'topology.kubernetes.io/zone': 'a', 'topology.kubernetes.io/region': 'r' } } }), 'r:\u0000:a');
  assert.equal(zoneKey({ metadata: { labels: { 'failure-domain.beta.kubernetes.io/zone': 'b' } } }), ':\u0000:b');
});

test('the tainting queue admits one node per token and never re-queues a processed node until removed', async () => {
  let now = 1_000_000;
  const clock = (): number => now;
  const q = new RateLimitedTimedQueue(new SwappableLimiter(1, clock), clock);
  assert.equal(q.add('a', 'ua'), true);
  assert.equal(q.add('b', 'ub'), true);
  assert.equal(q.add('a', 'ua'), false);
  const seen: string[] = [];
  const run = () => q.try(async (v) => (seen.push(v.value), [true, 0]));
  await run();
  assert.deepEqual(seen, ['a']);
  await run();
  assert.deepEqual(seen, ['a'], 'no token yet');
  now += 1000;
  await run();
  assert.deepEqual(seen, ['a', 'b']);
  assert.equal(q.add('a', 'ua'), false, 'processed values stay in the set');
  q.remove('a');
  assert.equal(q.add('a', 'ua'), true);
});

test('a limiter swapped to 0 admits nothing (all zones down)', () => {
  let now = 0;
  const l = new SwappableLimiter(100, () => now);
  l.swap(0);
  assert.equal(l.tryAccept(), false);
  now += 60_000;
  assert.equal(l.tryAccept(), false);
  // Leaving a limiter we were waiting on starts the new one drained, as upstream.
  l.swap(1);
  assert.equal(l.tryAccept(), false);
  now += 1000;
  assert.equal(l.tryAccept(), true);
});

test('tolerations decide when a pod is evicted', () => {
  const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
  const notReady: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' };
  const pod = (tolerations: object[]) => ({ metadata: {}, spec: { tolerations } }) as Parameters<typeof evictionDelayMs>[1];
  assert.equal(evictionDelayMs([], pod([])), undefined, 'no taints: nothing to do');
  assert.equal(evictionDelayMs([unreachable], pod([])), 0, 'untolerated: at once');
  assert.equal(evictionDelayMs([unreachable], pod([{ key: unreachable.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }])), 300_000);
  assert.equal(evictionDelayMs([unreachable], pod([{ key: unreachable.key, operator: 'Exists', effect: 'NoExecute' }])), undefined, 'tolerated forever');
  assert.equal(evictionDelayMs([unreachable], pod([{ operator: 'Exists' }])), undefined, 'an empty key with Exists tolerates everything');
  assert.equal(evictionDelayMs([unreachable, notReady], pod([{ key: unreachable.key, operator: 'Exists', tolerationSeconds: 5 }])), 0, 'every taint must be tolerated');
  assert.equal(
    evictionDelayMs([unreachable, notReady], pod([{ key: unreachable.key, operator: 'Exists', tolerationSeconds: 50 }, { key: notReady.key, operator: 'Exists', tolerationSeconds: 20 }])),
    20_000,
    'the shortest toleration wins',
  );
  assert.equal(evictionDelayMs([unreachable], pod([{ key: unreachable.key, operator: 'Exists', tolerationSeconds: -5 }])), 0);
  const withValue: Taint = { key: 'k', value: 'v', effect: 'NoExecute' };
  assert.equal(matchingTolerations([withValue], [{ key: 'k', operator: 'Equal', value: 'v' }]).all, true);
  assert.equal(matchingTolerations([withValue], [{ key: 'k', value: 'w' }]).all, false);
  assert.equal(matchingTolerations([withValue], [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }]).all, false);
  assert.equal(minTolerationMs([]), -1);
});

test('NoSchedule taints mirror conditions and unschedulable', () => {
  const node: Node = {
    metadata: { name: 'n' },
    spec: { unschedulable: true, taints: [{ key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' }, { key: 'custom', effect: 'NoSchedule' }] },
    status: { conditions: [ready('Unknown'), { type: 'MemoryPressure', status: 'True' }, { type: 'DiskPressure', status: 'False' }] },
  };
  const { add, remove } = noScheduleTaintDiff(node);
  assert.deepEqual(add.map((t) => t.key).sort(), ['node.kubernetes.io/memory-pressure', 'node.kubernetes.io/unreachable', 'node.kubernetes.io/unschedulable']);
  assert.deepEqual(remove.map((t) => t.key), ['node.kubernetes.io/disk-pressure'], 'taints the controller does not own are left alone');
  const next = swapTaints(node.spec!.taints, add, remove, '2026-01-01T00:00:00Z');
  assert.equal(next.length, 4);
  assert.ok(next.filter((t) => t.key !== 'custom').every((t) => t.timeAdded === '2026-01-01T00:00:00Z'));
});

test('health: heartbeats and lease renewals move the probe time; silence does not', () => {
  const node = (hb: string): Node => ({ metadata: { name: 'n' }, status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: hb, lastTransitionTime: 't0' }] } });
  let h = observeHealth(undefined, node('h1'), undefined, 100);
  assert.equal(h.probeTimestamp, 100);
  h = observeHealth(h, node('h1'), undefined, 200);
  assert.equal(h.probeTimestamp, 100, 'same heartbeat: no news');
  h = observeHealth(h, node('h2'), undefined, 300);
  assert.equal(h.probeTimestamp, 300);
  assert.equal(h.readyTransitionTimestamp, 100);
  const lease = (t: string) => ({ metadata: {}, spec: { renewTime: t } });
  h = observeHealth(h, node('h2'), lease('2026-01-01T00:00:01.000000Z'), 400);
  assert.equal(h.probeTimestamp, 400);
  h = observeHealth(h, node('h2'), lease('2026-01-01T00:00:01.000000Z'), 500);
  assert.equal(h.probeTimestamp, 400, 'an unrenewed lease is no heartbeat');
});

test('silent nodes get Unknown conditions with upstream reasons', () => {
  const n: Node = { metadata: { name: 'n', creationTimestamp: 'c' }, status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: 'hb', lastTransitionTime: 'old' }] } };
  const { conditions, changed } = markConditionsUnknown(n, 'now');
  assert.equal(changed, true);
  assert.deepEqual(conditions[0], { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastHeartbeatTime: 'hb', lastTransitionTime: 'now' });
  assert.deepEqual(conditions.find((c) => c.type === 'PIDPressure'), {
    type: 'PIDPressure',
    status: 'Unknown',
    reason: 'NodeStatusNeverUpdated',
    message: 'Kubelet never posted node status.',
    lastHeartbeatTime: 'c',
    lastTransitionTime: 'now',
  });
  assert.equal(markConditionsUnknown({ ...n, status: { conditions } }, 'later').changed, false);
});
