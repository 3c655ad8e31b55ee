import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlOk } from '../helpers/kubectl.js';
import { startCluster, createNode, createPod, nodeObject, podObject, waitBound, waitUnschedulable } from './harness.js';

test('taints keep pods without a toleration away; a tolerating pod may go there', async () => {
  const c = await startCluster();
  try {
    const taint = { key: 'dedicated', value: 'infra', effect: 'NoSchedule' as const };
    await createNode(c, nodeObject('infra-1', { taints: [taint] }));
    await createNode(c, nodeObject('infra-2', { taints: [taint, { key: 'spot', value: '', effect: 'NoExecute' }] }));
    await createPod(c, podObject('plain'));
    assert.equal(
      await waitUnschedulable(c, 'plain'),
      '0/2 nodes are available: 2 node(s) had untolerated taint {dedicated: infra}. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..',
    );
    await createPod(c, podObject('tolerant', { spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }] } }));
    assert.equal(await waitBound(c, 'tolerant'), 'infra-1');
    await createPod(c, podObject('tolerates-all', { spec: { tolerations: [{ operator: 'Exists' }], nodeSelector: { 'kubernetes.io/hostname': 'infra-2' } } }));
    assert.equal(await waitBound(c, 'tolerates-all'), 'infra-2');
  } finally {
    await c.close();
  }
});

test('node affinity: nodeSelector, required terms and preferred terms', async () => {
  const c = await startCluster();
  try {
    await createNode(c, nodeObject('a', { labels: { zone: 'z1', disk: 'hdd' } }));
    await createNode(c, nodeObject('b', { labels: { zone: 'z2', disk: 'ssd' } }));
    await createNode(c, nodeObject('c', { labels: { zone: 'z3', disk: 'ssd', gpu: 'yes' } }));
    await createPod(c, podObject('by-selector', { spec: { nodeSelector: { zone: 'z2' } } }));
    assert.equal(await waitBound(c, 'by-selector'), 'b');
    await createPod(
      c,
      podObject('required', {
        spec: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }, { key: 'gpu', operator: 'Exists' }] }],
              },
            },
          },
        },
      }),
    );
    assert.equal(await waitBound(c, 'required'), 'c');
    await createPod(
      c,
      podObject('preferred', {
        spec: {
          affinity: {
            nodeAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] } },
                { weight: 1, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
              ],
            },
          },
        },
      }),
    );
    assert.equal(await waitBound(c, 'preferred'), 'a');
    await createPod(c, podObject('nowhere', { spec: { nodeSelector: { zone: 'mars' } } }));
    assert.equal(
      await waitUnschedulable(c, 'nowhere'),
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..",
    );
  } finally {
    await c.close();
  }
});

test('a cordoned node (kubectl cordon) gets nothing new', async () => {
  const c = await startCluster();
  try {
    await createNode(c, nodeObject('keep'));
    await createNode(c, nodeObject('drain-me'));
    await kubectlOk(c.server.kubeconfig, ['cordon', 'drain-me']);
    for (let i = 0; i < 6; i++) await createPod(c, podObject(`p${i}`));
    for (let i = 0; i < 6; i++) assert.equal(await waitBound(c, `p${i}`), 'keep');
    await kubectlOk(c.server.kubeconfig, ['cordon', 'keep']);
    await createPod(c, podObject('late'));
    assert.equal(
      await waitUnschedulable(c, 'late'),
      '0/2 nodes are available: 2 node(s) were unschedulable. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..',
    );
    await kubectlOk(c.server.kubeconfig, ['uncordon', 'drain-me']);
    assert.equal(await waitBound(c, 'late'), 'drain-me');
  } finally {
    await c.close();
  }
});
