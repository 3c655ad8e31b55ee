import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, eventually, markPodReady } from '../controllers/workloads/harness.js';
import { disruptionController } from '../../src/controllers/disruption/controller.js';
import { startScheduler } from '../../src/cmd/scheduler.js';
import { NODES, PODS } from '../../src/scheduler/api.js';
import type { Pod } from '../../src/scheduler/framework/types.js';
import type { KubeObject } from '../../src/api/types.js';
import { nodeObject } from './harness.js';

// Preemption against PodDisruptionBudgets, end to end: a secure API server
// (with the Priority admission plugin that resolves priorityClassName), the
// disruption controller publishing disruptionsAllowed, the scheduler under its
// own identity, and PriorityClasses, budgets and pods created with kubectl.
// The test plays the kubelet: it marks bound pods Ready.

const priorityClass = (name: string, value: number) => `apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: { name: ${name} }
value: ${value}
`;

const podYaml = (name: string, app: string, cls: string, cpu: string) => `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: default, labels: { app: ${app} } }
spec:
  priorityClassName: ${cls}
  terminationGracePeriodSeconds: 0
  containers: [{ name: c, image: busybox, resources: { requests: { cpu: ${cpu} } } }]
`;

test('preemption picks the node whose victims a PodDisruptionBudget does not protect, and marks the victim DisruptionTarget', async () => {
  const h = await startHarness([disruptionController], {}, { secure: true });
  const schedKubeconfig = await h.server.kubeconfigFor('system:kube-scheduler');
  const sched = await startScheduler({ kubeconfig: schedKubeconfig, leaderElect: false, qps: 1000, burst: 1000 });
  try {
    await h.k(['create', 'serviceaccount', 'default']).catch(() => undefined);
    await h.k(['apply', '-f', '-'], [priorityClass('lowest', 0), priorityClass('low', 10), priorityClass('critical', 1000)].join('---\n'));
    for (const n of ['n1', 'n2']) await h.client.create(NODES, undefined, nodeObject(n, { cpu: '2' }));
    // "guarded" has the lower priority: without its budget, upstream's second criterion would evict it.
    await h.k(['apply', '-f', '-'], podYaml('guarded', 'guarded', 'lowest', '1500m'));
    const guardedNode = await eventually('guarded bound', async () => (await h.client.get<Pod>(PODS, 'default', 'guarded')).spec.nodeName);
    const otherNode = guardedNode === 'n1' ? 'n2' : 'n1';
    await h.k(['apply', '-f', '-'], podYaml('free', 'free', 'low', '1500m'));
    assert.equal(await eventually('free bound', async () => (await h.client.get<Pod>(PODS, 'default', 'free')).spec.nodeName), otherNode);
    for (const n of ['guarded', 'free']) await markPodReady(h, (await h.client.get<Pod>(PODS, 'default', n)) as never);
    await h.k(['create', 'poddisruptionbudget', 'guarded', '--selector', 'app=guarded', '--min-available', '1']);
    await eventually('the budget allows no disruption', async () => {
      const out = await h.k(['get', 'pdb', 'guarded', '-o', 'jsonpath={.status.currentHealthy}/{.status.disruptionsAllowed}']);
      return out === '1/0';
    });

    // Watch the victims from here on: the DisruptionTarget condition lives only until the deletion completes.
    const seen: { type: string; name: string; conditions: { type: string; status: string; reason?: string; message?: string }[] }[] = [];
    const list = await h.client.list(PODS, 'default');
    const watch = h.client.watch<KubeObject>(PODS, 'default', { resourceVersion: list.metadata.resourceVersion }, (ev) => {
      const p = ev.object as unknown as Pod | undefined;
      if (!p?.metadata?.name) return;
      seen.push({ type: ev.type, name: p.metadata.name, conditions: (p.status?.conditions ?? []) as never });
    });
    try {
      await h.k(['apply', '-f', '-'], podYaml('vip', 'vip', 'critical', '1'));
      assert.equal(await eventually('vip bound', async () => (await h.client.get<Pod>(PODS, 'default', 'vip')).spec.nodeName), otherNode);
      const vip = await h.client.get<Pod>(PODS, 'default', 'vip');
      assert.equal(vip.spec.priority, 1000, 'the Priority admission plugin resolved the class');
      assert.equal(vip.status?.nominatedNodeName, otherNode);
      await eventually('free deleted', async () => seen.some((e) => e.type === 'DELETED' && e.name === 'free'));
      const target = seen.find((e) => e.name === 'free' && e.conditions.some((c) => c.type === 'DisruptionTarget'));
      const cond = target?.conditions.find((c) => c.type === 'DisruptionTarget');
      assert.deepEqual(
        { status: cond?.status, reason: cond?.reason, message: cond?.message },
        { status: 'True', reason: 'PreemptionByScheduler', message: 'default-scheduler: preempting to accommodate a higher priority pod' },
      );
      const order = seen.filter((e) => e.name === 'free').map((e) => e.type);
      assert.ok(order.indexOf('DELETED') > seen.filter((e) => e.name === 'free').indexOf(target!), 'the condition is written before the deletion');
      // The guarded pod is untouched.
      const guarded = await h.client.get<Pod>(PODS, 'default', 'guarded');
      assert.equal(guarded.metadata.deletionTimestamp, undefined);
      assert.equal(seen.some((e) => e.name === 'guarded' && e.type === 'DELETED'), false);
      const events = await eventually('the Preempted event', async () => {
        const out = await h.k(['get', 'events', '--field-selector', 'reason=Preempted,involvedObject.name=free', '-o', 'jsonpath={.items[*].message}']);
        return out.includes('Preempted by pod') ? out : undefined;
      });
      assert.equal(events, `Preempted by pod ${vip.metadata.uid} on node ${otherNode}`);
    } finally {
      watch.stop();
    }
  } finally {
    await sched.stop();
    await h.close();
  }
});
