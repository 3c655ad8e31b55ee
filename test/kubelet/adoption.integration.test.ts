import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LABEL_POD_UID } from '../../src/runtime/interface.js';
import { startEnv, eventually, pod, PODS } from './harness.js';

test('a restarted kubelet adopts running containers (same ids, no restart) and kills pods deleted while it was away', async () => {
  const env = await startEnv();
  try {
    await env.client.create(PODS, 'default', pod('keep', { containers: [{ name: 'a', image: 'nginx:1.27' }, { name: 'b', image: 'nginx:1.27' }] }));
    await env.client.create(PODS, 'default', pod('gone', { containers: [{ name: 'a', image: 'nginx:1.27' }] }));
    const ready = async (name: string): Promise<any> => {
      const p = await env.client.get<any>(PODS, 'default', name);
      return p.status?.containerStatuses?.every((c: any) => c.ready) ? p : undefined;
    };
    const keep = await eventually(() => ready('keep'));
    const gone = await eventually(() => ready('gone'));
    const ids = keep.status.containerStatuses.map((c: any) => c.containerID);

    await env.kubelet.stop();
    // Force-deleted while no kubelet watches: nothing will ever tell the node but the runtime listing.
    await env.client.delete(PODS, 'default', 'gone', { gracePeriodSeconds: 0 });
    await env.restartKubelet();

    await eventually(async () => (await env.runtime.listContainers({ labelSelector: { [LABEL_POD_UID]: gone.metadata.uid } })).length === 0, 'orphan removal');
    assert.deepEqual(await env.runtime.listPodSandboxes({ labelSelector: { [LABEL_POD_UID]: gone.metadata.uid } }), []);

    const after = await eventually(() => ready('keep'));
    assert.deepEqual(after.status.containerStatuses.map((c: any) => c.containerID), ids);
    assert.deepEqual(after.status.containerStatuses.map((c: any) => c.restartCount), [0, 0]);
    const running = await env.runtime.listContainers({ labelSelector: { [LABEL_POD_UID]: keep.metadata.uid } });
    assert.equal(running.length, 2);
  } finally {
    await env.close();
  }
});
