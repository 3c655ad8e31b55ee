import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../src/kubelet/api-types.js';
import { needsSync } from '../../src/kubelet/pod/workers.js';

function pod(over: Partial<Pod> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u1', resourceVersion: '1', labels: { app: 'a' } },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
    status: { phase: 'Pending' },
    ...over,
  };
}

test('a status-only update (the echo of our own status write) does not ask for a sync', () => {
  const old = pod();
  const echo = pod({ metadata: { ...old.metadata, resourceVersion: '2' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
  assert.equal(needsSync(old, echo), false);
});

test('spec, labels, annotations and deletion changes ask for a sync', () => {
  const old = pod();
  assert.equal(needsSync(old, pod({ spec: { containers: [{ name: 'c', image: 'busybox:2' }] } })), true);
  assert.equal(needsSync(old, pod({ metadata: { ...old.metadata, labels: { app: 'b' } } })), true);
  assert.equal(needsSync(old, pod({ metadata: { ...old.metadata, annotations: { a: '1' } } })), true);
  assert.equal(needsSync(old, pod({ metadata: { ...old.metadata, deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 30 } })), true);
});

test('a readiness gate condition written by someone else asks for a sync (upstream NeedToReconcilePodReadiness)', () => {
  const spec = { containers: [{ name: 'c', image: 'busybox' }], readinessGates: [{ conditionType: 'example.com/gate' }] };
  const old = pod({ spec });
  const gated = pod({ spec, status: { phase: 'Running', conditions: [{ type: 'example.com/gate', status: 'True' }] } });
  assert.equal(needsSync(old, gated), true);
  assert.equal(needsSync(gated, pod({ spec, status: { phase: 'Running', conditions: [{ type: 'example.com/gate', status: 'True' }, { type: 'Ready', status: 'True' }] } })), false);
});
