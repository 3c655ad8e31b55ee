import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../helpers/apiserver.js';
import { RestClient } from '../../src/client/rest.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { createNode, createPod, getPod, nodeObject, podObject, waitFor, type Cluster } from './harness.js';

// A scheduler whose lease ran out (mayBind answers false) goes as far as
// choosing a node but never sends the binding: another scheduler may own
// the pod by now.

test('a scheduler binds only while mayBind allows it', async () => {
  const server = await startTestServer();
  const client = new RestClient(loadKubeconfig(server.kubeconfig), { qps: 1000, burst: 1000 });
  let allowed = false;
  let asked = 0;
  const scheduler = new Scheduler({
    client,
    mayBind: () => {
      asked++;
      return allowed;
    },
  });
  const running = scheduler.run();
  const c = { server, client } as unknown as Cluster;
  try {
    await createNode(c, nodeObject('n1'));
    await createPod(c, podObject('p'));
    await waitFor('the binding to be asked for', async () => asked > 0);
    await scheduler.idle();
    assert.equal((await getPod(c, 'p')).spec.nodeName, undefined, 'not bound while the lease is not held');
    assert.equal(scheduler.stats.scheduled, 0);
    allowed = true;
    await createPod(c, podObject('q'));
    await waitFor('q bound', async () => (await getPod(c, 'q')).spec.nodeName === 'n1');
  } finally {
    await scheduler.stop();
    await running;
    client.close();
    await server.close();
  }
});
