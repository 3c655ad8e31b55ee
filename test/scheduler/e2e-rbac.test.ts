import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../helpers/apiserver.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { RestClient } from '../../src/client/rest.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { startScheduler } from '../../src/cmd/scheduler.js';
import { DIAGNOSIS_ANNOTATION } from '../../src/scheduler/framework/fit-error.js';
import { NODES, PODS } from '../../src/scheduler/api.js';
import type { Pod } from '../../src/scheduler/framework/types.js';
import { nodeObject, waitFor } from './harness.js';

// The scheduler as `k8ts server` runs it: a secure API server (RBAC and the
// admission chain) and the scheduler under its own identity,
// system:kube-scheduler, so every write it makes must be one its bootstrap
// role allows: bindings, pod status, events, and k8ts's diagnosis annotation.

test('under system:kube-scheduler RBAC the scheduler binds, reports failures and writes the per-node diagnosis', async () => {
  const server = await startTestServer({ secure: true });
  const admin = new RestClient(loadKubeconfig(server.kubeconfig), { qps: 1000, burst: 1000 });
  const sched = await startScheduler({ kubeconfig: await server.kubeconfigFor('system:kube-scheduler'), leaderElect: false, qps: 1000, burst: 1000 });
  try {
    await kubectlOk(server.kubeconfig, ['create', 'serviceaccount', 'default']).catch(() => undefined);
    await admin.create(NODES, undefined, nodeObject('small', { cpu: '1' }));
    await kubectlOk(server.kubeconfig, ['run', 'fits', '--image', 'busybox', '--restart', 'Never', '--overrides', '{"spec":{"containers":[{"name":"fits","image":"busybox","resources":{"requests":{"cpu":"500m"}}}]}}']);
    await kubectlOk(server.kubeconfig, ['run', 'huge', '--image', 'busybox', '--restart', 'Never', '--overrides', '{"spec":{"containers":[{"name":"huge","image":"busybox","resources":{"requests":{"cpu":"4"}}}]}}']);
    assert.equal(await waitFor('fits bound', async () => (await admin.get<Pod>(PODS, 'default', 'fits')).spec.nodeName), 'small');
    const cond = await waitFor('huge reported unschedulable', async () => (await admin.get<Pod>(PODS, 'default', 'huge')).status?.conditions?.find((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'));
    assert.match(cond.message ?? '', /^0\/1 nodes are available: 1 Insufficient cpu\./);
    const diag = await waitFor('the diagnosis annotation', async () => (await admin.get<Pod>(PODS, 'default', 'huge')).metadata.annotations?.[DIAGNOSIS_ANNOTATION]);
    assert.deepEqual(JSON.parse(diag), { small: 'NodeResourcesFit: Insufficient cpu' });
    const events = await waitFor('Scheduled and FailedScheduling events', async () => {
      const out = await kubectlOk(server.kubeconfig, ['get', 'events', '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}']);
      return out.includes('Scheduled') && out.includes('FailedScheduling') ? out : undefined;
    });
    assert.match(events, /^Scheduled$/m);
  } finally {
    await sched.stop();
    admin.close();
    await server.close();
  }
});
