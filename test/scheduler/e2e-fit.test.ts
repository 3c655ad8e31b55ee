import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlOk } from '../helpers/kubectl.js';
import { startCluster, createNode, createPod, getPod, nodeObject, podObject, waitBound, waitFor, waitUnschedulable } from './harness.js';
import { DIAGNOSIS_ANNOTATION } from '../../src/scheduler/framework/fit-error.js';

test('a pod too big for every node stays Pending with upstream’s message, and is placed when a big node joins', async () => {
  const c = await startCluster();
  try {
    await createNode(c, nodeObject('small-1', { cpu: '2' }));
    await createNode(c, nodeObject('small-2', { cpu: '2' }));
    await createNode(c, nodeObject('tainted', { cpu: '2', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
    await createPod(c, podObject('huge', { cpu: '3' }));
    const want =
      '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. ' +
      'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..';
    assert.equal(await waitUnschedulable(c, 'huge'), want);

    // kubectl describe shows the FailedScheduling event and message from default-scheduler.
    const describe = await waitFor('the FailedScheduling event', async () => {
      const out = await kubectlOk(c.server.kubeconfig, ['describe', 'pod', 'huge']);
      return /FailedScheduling/.test(out) ? out : undefined;
    });
    assert.match(describe, /Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/3 nodes are available: 1 node\(s\) had untolerated taint \{dedicated: gpu\}, 2 Insufficient cpu\./);
    assert.match(describe, /PodScheduled\s+False/);

    // The k8ts breakdown: which node failed which check.
    const diag = await waitFor('the diagnosis annotation', async () => (await getPod(c, 'huge')).metadata.annotations?.[DIAGNOSIS_ANNOTATION]);
    assert.deepEqual(JSON.parse(diag), {
      'small-1': 'NodeResourcesFit: Insufficient cpu',
      'small-2': 'NodeResourcesFit: Insufficient cpu',
      tainted: 'TaintToleration: node(s) had untolerated taint {dedicated: gpu}',
    });

    await createNode(c, nodeObject('big', { cpu: '8' }));
    assert.equal(await waitBound(c, 'huge'), 'big');
    const wide = await kubectlOk(c.server.kubeconfig, ['get', 'pods', '-o', 'wide']);
    assert.match(wide, /^huge\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+big\s/m);
    const events = await waitFor('the Scheduled event', async () => {
      const out = await kubectlOk(c.server.kubeconfig, ['describe', 'pod', 'huge']);
      return /Successfully assigned default\/huge to big/.test(out) ? out : undefined;
    });
    assert.match(events, /Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned default\/huge to big/);
    await waitFor('the diagnosis to be cleared', async () => (await getPod(c, 'huge')).metadata.annotations?.[DIAGNOSIS_ANNOTATION] === undefined);
  } finally {
    await c.close();
  }
});

test('requests of init containers count: the largest init container or the sum of containers', async () => {
  const c = await startCluster();
  try {
    await createNode(c, nodeObject('n1', { cpu: '2', memory: '4Gi' }));
    const pod = podObject('init-heavy', { cpu: '500m' });
    pod.spec.initContainers = [{ name: 'init', image: 'busybox', resources: { requests: { memory: '8Gi' } } }];
    await createPod(c, pod);
    const msg = await waitUnschedulable(c, 'init-heavy');
    assert.match(msg, /^0\/1 nodes are available: 1 Insufficient memory\./);
    await createPod(c, podObject('fits', { cpu: '1', memory: '1Gi' }));
    assert.equal(await waitBound(c, 'fits'), 'n1');
  } finally {
    await c.close();
  }
});

test('pods for another scheduler are left alone; too many pods per node is reported', async () => {
  const c = await startCluster();
  try {
    await createNode(c, nodeObject('n1', { pods: 1 }));
    await createPod(c, podObject('other', { spec: { schedulerName: 'someone-else' } as never }));
    await createPod(c, podObject('first'));
    assert.equal(await waitBound(c, 'first'), 'n1');
    await createPod(c, podObject('second'));
    assert.match(await waitUnschedulable(c, 'second'), /^0\/1 nodes are available: 1 Too many pods\./);
    const other = await getPod(c, 'other');
    assert.equal(other.spec.nodeName, undefined);
    assert.equal(other.status?.conditions?.find((x) => x.type === 'PodScheduled'), undefined);
  } finally {
    await c.close();
  }
});
