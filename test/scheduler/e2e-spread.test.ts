import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlOk } from '../helpers/kubectl.js';
import { startCluster, createNode, createPod, nodeObject, podObject, waitBound } from './harness.js';

function tally(nodes: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of nodes) m.set(n, (m.get(n) ?? 0) + 1);
  return m;
}

test('topology spread: 9 pods over 3 zones with maxSkew 1 land 3-3-3', async () => {
  const c = await startCluster();
  try {
    // Unequal nodes so resource scoring alone would pile pods onto the big one.
    await createNode(c, nodeObject('z1', { cpu: '32', memory: '128Gi', labels: { 'topology.kubernetes.io/zone': 'a' } }));
    await createNode(c, nodeObject('z2', { cpu: '2', labels: { 'topology.kubernetes.io/zone': 'b' } }));
    await createNode(c, nodeObject('z3', { cpu: '2', labels: { 'topology.kubernetes.io/zone': 'c' } }));
    const names: string[] = [];
    for (let i = 0; i < 9; i++) {
      const name = `web-${i}`;
      names.push(name);
      await createPod(
        c,
        podObject(name, {
          cpu: '100m',
          labels: { app: 'web' },
          spec: {
            topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }],
          },
        }),
      );
    }
    const placed = await Promise.all(names.map((n) => waitBound(c, n)));
    assert.deepEqual([...tally(placed).entries()].sort(), [
      ['z1', 3],
      ['z2', 3],
      ['z3', 3],
    ]);
    const wide = await kubectlOk(c.server.kubeconfig, ['get', 'pods', '-o', 'wide', '-l', 'app=web']);
    assert.equal(wide.trim().split('\n').length, 10);
  } finally {
    await c.close();
  }
});

test('identical pods on identical nodes: no node gets more than its share + 1', async () => {
  const c = await startCluster();
  try {
    const nodes = 4;
    const pods = 20;
    for (let i = 0; i < nodes; i++) await createNode(c, nodeObject(`node-${i}`));
    const names = Array.from({ length: pods }, (_, i) => `pod-${i}`);
    await Promise.all(names.map((n) => createPod(c, podObject(n, { cpu: '100m', memory: '256Mi' }))));
    const placed = await Promise.all(names.map((n) => waitBound(c, n)));
    const counts = tally(placed);
    assert.equal(counts.size, nodes);
    for (const [node, n] of counts) assert.ok(n <= pods / nodes + 1, `${node} got ${n} pods`);
  } finally {
    await c.close();
  }
});

test('inter-pod anti-affinity keeps replicas apart; affinity brings a pod next to its peer', async () => {
  const c = await startCluster();
  try {
    for (let i = 0; i < 3; i++) await createNode(c, nodeObject(`n${i}`));
    const anti = {
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'db' } } }] },
    };
    for (let i = 0; i < 3; i++) await createPod(c, podObject(`db-${i}`, { labels: { app: 'db' }, spec: { affinity: anti } }));
    const placed = await Promise.all([0, 1, 2].map((i) => waitBound(c, `db-${i}`)));
    assert.equal(new Set(placed).size, 3);
    await createPod(c, podObject('db-3', { labels: { app: 'db' }, spec: { affinity: anti } }));
    const { waitUnschedulable } = await import('./harness.js');
    assert.match(await waitUnschedulable(c, 'db-3'), /^0\/3 nodes are available: 3 node\(s\) didn't match pod anti-affinity rules\./);
    await createPod(
      c,
      podObject('cache', {
        spec: {
          affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'db' } } }] } },
        },
      }),
    );
    assert.ok(placed.includes(await waitBound(c, 'cache')));
  } finally {
    await c.close();
  }
});
