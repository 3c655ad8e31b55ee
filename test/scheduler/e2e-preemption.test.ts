import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlOk } from '../helpers/kubectl.js';
import { startCluster, createNode, createPod, getPod, nodeObject, podObject, waitBound, waitFor, waitUnschedulable } from './harness.js';
import { PODS } from '../../src/scheduler/api.js';
import { isNotFound } from '../../src/client/status.js';

// Without a kubelet, victims are given terminationGracePeriodSeconds 0 so the API server deletes them at once.
const victim = (name: string, cpu: string, priority: number) => podObject(name, { cpu, priority, spec: { terminationGracePeriodSeconds: 0 } as never });

test('a higher-priority pod evicts lower ones when nothing else fits, with nominatedNodeName', async () => {
  const c = await startCluster();
  try {
    await createNode(c, nodeObject('n1', { cpu: '2' }));
    await createPod(c, victim('low-a', '800m', 0));
    await createPod(c, victim('low-b', '800m', 10));
    assert.equal(await waitBound(c, 'low-a'), 'n1');
    assert.equal(await waitBound(c, 'low-b'), 'n1');
    await createPod(c, podObject('important', { cpu: '1', priority: 1000 }));
    assert.equal(await waitBound(c, 'important'), 'n1');
    const p = await getPod(c, 'important');
    assert.equal(p.status?.nominatedNodeName, 'n1');
    // Only the cheapest victim is evicted: removing low-a (priority 0) is enough.
    await waitFor('low-a to be deleted', async () => {
      try {
        await c.client.get(PODS, 'default', 'low-a');
        return false;
      } catch (err) {
        return isNotFound(err);
      }
    });
    assert.equal((await getPod(c, 'low-b')).spec.nodeName, 'n1');
    const describe = await kubectlOk(c.server.kubeconfig, ['describe', 'pod', 'important']);
    assert.match(describe, /FailedScheduling\s+.*0\/1 nodes are available: 1 Insufficient cpu\./);
    const events = await waitFor('the Preempted event', async () => {
      const out = await kubectlOk(c.server.kubeconfig, ['get', 'events', '--field-selector', 'reason=Preempted', '-o', 'jsonpath={.items[*].message}']);
      return out.includes('Preempted by pod') ? out : undefined;
    });
    assert.match(events, new RegExp(`Preempted by pod ${p.metadata.uid} on node n1`));
  } finally {
    await c.close();
  }
});

test('preemption reports why it cannot help', async () => {
  const c = await startCluster();
  try {
    await createNode(c, nodeObject('n1', { cpu: '1' }));
    await createPod(c, victim('vip', '800m', 2000));
    assert.equal(await waitBound(c, 'vip'), 'n1');
    await createPod(c, podObject('mid', { cpu: '500m', priority: 100 }));
    assert.equal(
      await waitUnschedulable(c, 'mid'),
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..',
    );
    await createPod(c, podObject('polite', { cpu: '500m', priority: 5000, spec: { preemptionPolicy: 'Never' } }));
    assert.equal(await waitUnschedulable(c, 'polite'), '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never..');
  } finally {
    await c.close();
  }
});
