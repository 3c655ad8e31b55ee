import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusManager, sameOwnedStatus } from '../../src/kubelet/pod/status-manager.js';
import type { KubeletContext } from '../../src/kubelet/context.js';
import type { Pod, PodStatus } from '../../src/kubelet/api-types.js';

// The status manager against a recording client: what it writes, and what it
// leaves alone when the API already holds the status.

function recorder(): { ctx: KubeletContext; patches: Record<string, unknown>[] } {
  const patches: Record<string, unknown>[] = [];
  const ctx = {
    client: {
      patch: async (_r: unknown, _ns: string, _name: string, _type: string, body: Record<string, unknown>) => {
        patches.push(body);
        return {};
      },
    },
    log: { warn: () => undefined },
  } as unknown as KubeletContext;
  return { ctx, patches };
}

const pod = (rv: string, status?: PodStatus): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1', resourceVersion: rv }, spec: { containers: [] }, status }) as Pod;

const running = (at: string): PodStatus => ({
  phase: 'Running',
  startTime: at,
  conditions: [
    { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: at },
    { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: at },
  ],
});

/** What the API stores for a status we sent: nulls dropped, keys in its own order. */
const stored = (s: PodStatus): PodStatus => JSON.parse(JSON.stringify(s, (k, v) => (v === null ? undefined : v))) as PodStatus;

test('a sync that started from a stale pod copy keeps the transition times already sent (no write ping-pong)', async () => {
  const { ctx, patches } = recorder();
  const m = new StatusManager(ctx);
  // Sync 1 saw the pod without conditions and stamped 10:00:00.
  await m.update(pod('1'), running('2026-11-26T10:00:00Z'));
  assert.equal(patches.length, 1);
  // Sync 2 also began from that copy (rv 1), a second later: nothing changed but the clock.
  await m.update(pod('1'), running('2026-11-26T10:00:01Z'));
  // Sync 3 sees our write (rv 2) and, from its old conditions, computes the first time again.
  await m.update(pod('2', stored(running('2026-11-26T10:00:00Z'))), running('2026-11-26T10:00:00Z'));
  assert.equal(patches.length, 1, `one write only, got ${JSON.stringify(patches)}`);
});

test('a real transition gets the new time; startTime never moves', async () => {
  const { ctx, patches } = recorder();
  const m = new StatusManager(ctx);
  await m.update(pod('1'), running('2026-11-26T10:00:00Z'));
  const notReady = running('2026-11-26T10:05:00Z');
  notReady.conditions![1] = { type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastProbeTime: null, lastTransitionTime: '2026-11-26T10:05:00Z' };
  await m.update(pod('2', stored(running('2026-11-26T10:00:00Z'))), notReady);
  assert.equal(patches.length, 2);
  const sent = (patches[1]!.status as PodStatus).conditions!;
  assert.equal(sent.find((c) => c.type === 'Ready')!.lastTransitionTime, '2026-11-26T10:05:00Z');
  assert.equal(sent.find((c) => c.type === 'Initialized')!.lastTransitionTime, '2026-11-26T10:00:00Z');
  assert.equal((patches[1]!.status as PodStatus).startTime, '2026-11-26T10:00:00Z');
});

test('statuses compare equal whatever their key order, with null and absent alike, and only on the keys the kubelet owns', () => {
  const a = running('2026-11-26T10:00:00Z');
  assert.ok(sameOwnedStatus(a, stored(a)));
  assert.ok(sameOwnedStatus(stored(a), a));
  const reordered = JSON.parse(JSON.stringify({ conditions: a.conditions!.map((c) => Object.fromEntries(Object.entries(c).reverse())), startTime: a.startTime, phase: a.phase })) as PodStatus;
  assert.ok(sameOwnedStatus(a, reordered));
  assert.ok(sameOwnedStatus({ phase: 'Pending', podIP: undefined }, { phase: 'Pending', podIP: null } as unknown as PodStatus));
  assert.ok(sameOwnedStatus(undefined, {}));
  // Not owned: the scheduler's nominatedNodeName and the like never make a write.
  assert.ok(sameOwnedStatus({ phase: 'Pending' }, { phase: 'Pending', nominatedNodeName: 'n1' } as PodStatus));
  assert.ok(!sameOwnedStatus(a, running('2026-11-26T10:00:01Z')));
  assert.ok(!sameOwnedStatus(a, { ...a, phase: 'Succeeded' }));
  assert.ok(!sameOwnedStatus(a, { ...a, conditions: a.conditions!.slice(1) }));
  assert.ok(!sameOwnedStatus({ phase: 'Running' }, { phase: 'Running', podIP: '10.0.0.1' }));
  assert.ok(!sameOwnedStatus({ conditions: [] }, {}), 'an empty list is a value, as the canonical form had it');
});
