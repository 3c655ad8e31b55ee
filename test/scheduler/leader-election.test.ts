import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../helpers/apiserver.js';
import { RestClient } from '../../src/client/rest.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { LEASES, type Lease } from '../../src/client/leaderelection.js';
import { startScheduler } from '../../src/cmd/scheduler.js';
import { createNode, createPod, nodeObject, podObject, waitBound, waitFor, type Cluster } from './harness.js';

test('with --leader-elect the scheduler takes the Lease kube-system/kube-scheduler before scheduling', async () => {
  const server = await startTestServer();
  const client = new RestClient(loadKubeconfig(server.kubeconfig), { qps: 1000, burst: 1000 });
  const config = { leaderElection: { leaseDuration: '4s', renewDeadline: '3s', retryPeriod: '500ms' } };
  const a = await startScheduler({ kubeconfig: server.kubeconfig, config, leaderElect: true, qps: 1000, burst: 1000 });
  const b = await startScheduler({ kubeconfig: server.kubeconfig, config, leaderElect: true, qps: 1000, burst: 1000 });
  const c = { server, client } as unknown as Cluster;
  try {
    const lease = await waitFor('the lease', async () => (await client.get<Lease>(LEASES, 'kube-system', 'kube-scheduler')).spec?.holderIdentity || undefined);
    assert.match(lease, /_/);
    await createNode(c, nodeObject('n1'));
    await createPod(c, podObject('p'));
    assert.equal(await waitBound(c, 'p'), 'n1');
    const leaders = [a, b].filter((s) => s.scheduler.stats.scheduled > 0);
    assert.equal(leaders.length, 1, 'exactly one replica schedules');
  } finally {
    await a.stop();
    await b.stop();
    client.close();
    await server.close();
  }
});
