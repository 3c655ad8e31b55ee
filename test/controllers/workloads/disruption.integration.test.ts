import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startHarness, eventually, listPods, markPodReady, type Harness } from './harness.js';
import { replicaSetController } from '../../../src/controllers/replicaset/controller.js';
import { disruptionController } from '../../../src/controllers/disruption/controller.js';
import { PODDISRUPTIONBUDGETS, PODS } from '../../../src/controllers/shared/resources.js';
import type { PodDisruptionBudget } from '../../../src/controllers/disruption/types.js';
import type { Pod } from '../../../src/controllers/shared/types.js';

// PodDisruptionBudget status from the disruption controller, and the
// eviction subresource spending it, driven by kubectl and client-node.

const rs = (name: string, replicas: number) => `apiVersion: apps/v1
kind: ReplicaSet
metadata: { name: ${name}, namespace: default }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers: [{ name: c, image: busybox }]
`;

const pdb = (name: string, app: string, field: string) => `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: ${name}, namespace: default }
spec:
  ${field}
  selector: { matchLabels: { app: ${app} } }
`;

describe('disruption controller and pods/eviction', () => {
  let h: Harness;
  let core: k8s.CoreV1Api;
  before(async () => {
    h = await startHarness([replicaSetController, disruptionController]);
    const kc = new k8s.KubeConfig();
    // The harness serves plain HTTP on loopback; client-node wants that said out loud.
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: h.server.url, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    core = kc.makeApiClient(k8s.CoreV1Api);
  });
  after(async () => {
    await h?.close();
  });

  const getPdb = (n: string) => h.client.get<PodDisruptionBudget>(PODDISRUPTIONBUDGETS, 'default', n);
  const statusOf = async (n: string, want: Partial<NonNullable<PodDisruptionBudget['status']>>) =>
    eventually(`${n} status ${JSON.stringify(want)}`, async () => {
      const p = await getPdb(n);
      const s = p.status as unknown as Record<string, unknown> | undefined;
      return s && Object.entries(want).every(([k, v]) => s[k] === v) && p;
    });
  const pods = (app: string) => eventually(`pods of ${app}`, async () => (await listPods(h, 'default', `app=${app}`)).filter((p) => !p.metadata.deletionTimestamp));

  test('status math: int and percent minAvailable, maxUnavailable through the ReplicaSet scale', async () => {
    await h.k(['apply', '-f', '-'], rs('web', 4));
    const ps = await eventually('4 pods', async () => {
      const p = await listPods(h, 'default', 'app=web');
      return p.length === 4 && p;
    });
    for (const p of ps.slice(0, 3)) await markPodReady(h, p);
    await h.k(['apply', '-f', '-'], pdb('web-int', 'web', 'minAvailable: 2'));
    const a = await statusOf('web-int', { currentHealthy: 3, desiredHealthy: 2, expectedPods: 4, disruptionsAllowed: 1 });
    assert.equal(a.status?.observedGeneration, a.metadata.generation);
    const cond = a.status?.conditions?.find((c) => c.type === 'DisruptionAllowed');
    assert.deepEqual([cond?.status, cond?.reason], ['True', 'SufficientPods']);
    await h.k(['delete', 'pdb', 'web-int']);

    await h.k(['apply', '-f', '-'], pdb('web-max', 'web', 'maxUnavailable: 1'));
    const b = await statusOf('web-max', { currentHealthy: 3, desiredHealthy: 3, expectedPods: 4, disruptionsAllowed: 0 });
    const bc = b.status?.conditions?.find((c) => c.type === 'DisruptionAllowed');
    assert.deepEqual([bc?.status, bc?.reason], ['False', 'InsufficientPods']);
    // The spec changes: generation moves and the controller follows it.
    await h.k(['patch', 'pdb', 'web-max', '--type=merge', '-p', '{"spec":{"maxUnavailable":"50%"}}']);
    const c = await statusOf('web-max', { desiredHealthy: 2, expectedPods: 4, disruptionsAllowed: 1 });
    assert.equal(c.metadata.generation, 2);
    assert.equal(c.status?.observedGeneration, 2);
    const table = await h.k(['get', 'pdb']);
    assert.match(table.split('\n')[0]!, /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE$/);
    assert.match(table, /\nweb-max\s+N\/A\s+50%\s+1\s+\d+s/);
    await h.k(['delete', 'pdb', 'web-max']);

    await h.k(['apply', '-f', '-'], pdb('web-pct', 'web', 'minAvailable: "75%"'));
    await statusOf('web-pct', { currentHealthy: 3, desiredHealthy: 3, expectedPods: 4, disruptionsAllowed: 0 });
    await h.k(['delete', 'pdb', 'web-pct']);
  });

  test('validation: both fields, bad percent, bad policy', async () => {
    const both = await h.kRaw(['apply', '-f', '-'], pdb('both', 'x', 'minAvailable: 1\n  maxUnavailable: 1'));
    assert.match(both.stderr, /PodDisruptionBudget "both" is invalid: spec: Invalid value: .*minAvailable and maxUnavailable cannot be both set/);
    const pct = await h.kRaw(['apply', '-f', '-'], pdb('pct', 'x', 'minAvailable: "120%"'));
    assert.match(pct.stderr, /spec.minAvailable: Invalid value: intstr.IntOrString\{Type:1, IntVal:0, StrVal:"120%"\}: must not be greater than 100%/);
    const pol = await h.kRaw(['apply', '-f', '-'], pdb('pol', 'x', 'minAvailable: 1\n  unhealthyPodEvictionPolicy: Sometimes'));
    assert.match(pol.stderr, /spec.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"/);
  });

  test('eviction: 201 while the budget allows, then 429 with the DisruptionBudget cause', async () => {
    await h.k(['apply', '-f', '-'], rs('ev', 3));
    const ps = await eventually('3 pods', async () => {
      const p = await listPods(h, 'default', 'app=ev');
      return p.length === 3 && p;
    });
    for (const p of ps) await markPodReady(h, p);
    await h.k(['apply', '-f', '-'], pdb('ev', 'ev', 'minAvailable: 2'));
    await statusOf('ev', { currentHealthy: 3, disruptionsAllowed: 1 });
    const victim = ps[0]!.metadata.name!;
    // client-node reads the 201 Status into its Eviction model; that it resolves is the success.
    await core.createNamespacedPodEviction({ name: victim, namespace: 'default', body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: victim, namespace: 'default' } } });
    await eventually('victim gone', async () => !(await listPods(h, 'default', 'app=ev')).some((p) => p.metadata.name === victim));
    // The budget was spent at once, before the controller saw anything.
    const spent = await getPdb('ev');
    assert.ok(spent.status!.disruptionsAllowed === 0);
    const next = ps[1]!.metadata.name!;
    await assert.rejects(core.createNamespacedPodEviction({ name: next, namespace: 'default', body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: next, namespace: 'default' } } }), (e: unknown) => {
      assert.ok(e instanceof k8s.ApiException, String(e));
      assert.equal(e.code, 429);
      const body = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as { reason: string; message: string; details: { causes: { reason: string; message: string }[] } };
      assert.equal(body.reason, 'TooManyRequests');
      assert.equal(body.message, "Cannot evict pod as it would violate the pod's disruption budget.");
      assert.equal(body.details.causes[0]!.reason, 'DisruptionBudget');
      assert.match(body.details.causes[0]!.message, /^The disruption budget ev needs 2 healthy pods and has 2 currently$/);
      return true;
    });
    // The replacement becomes Ready: one more disruption is allowed, and policy/v1beta1 bodies are served too.
    const fresh = await eventually('replacement', async () => (await listPods(h, 'default', 'app=ev')).find((p) => !ps.some((o) => o.metadata.uid === p.metadata.uid)));
    await markPodReady(h, fresh);
    await statusOf('ev', { currentHealthy: 3, disruptionsAllowed: 1 });
    const r = await h.client.createSubresource<{ status: string }>(PODS, 'default', next, 'eviction', { apiVersion: 'policy/v1beta1', kind: 'Eviction', metadata: { name: next } });
    assert.equal(r.status, 'Success');
  });

  test('unhealthyPodEvictionPolicy: an unready running pod goes when the budget is healthy, or always with AlwaysAllow', async () => {
    await h.k(['apply', '-f', '-'], rs('sick', 3));
    const ps = await eventually('3 pods', async () => {
      const p = await listPods(h, 'default', 'app=sick');
      return p.length === 3 && p;
    });
    for (const p of ps) await markPodReady(h, p);
    await h.k(['apply', '-f', '-'], pdb('sick', 'sick', 'minAvailable: 3'));
    await statusOf('sick', { currentHealthy: 3, desiredHealthy: 3, disruptionsAllowed: 0 });
    // Running but not Ready: it counts for nothing, and the budget is met without it.
    const cur = await h.client.get<Pod>(PODS, 'default', ps[0]!.metadata.name!);
    const conds = (cur.status?.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'False' as const } : c));
    await h.client.updateStatus<Pod>(PODS, 'default', { ...cur, status: { ...cur.status, conditions: conds } });
    await statusOf('sick', { currentHealthy: 2, desiredHealthy: 3, disruptionsAllowed: 0 });
    // IfHealthyBudget (the default): 2 < 3 healthy, so even the sick pod must wait.
    const evict = (name: string) => h.client.createSubresource(PODS, 'default', name, 'eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name } });
    await assert.rejects(evict(cur.metadata.name!), (e: { code?: number }) => e.code === 429);
    await h.k(['patch', 'pdb', 'sick', '--type=merge', '-p', '{"spec":{"unhealthyPodEvictionPolicy":"AlwaysAllow"}}']);
    await evict(cur.metadata.name!);
    await eventually('sick pod gone', async () => !(await listPods(h, 'default', 'app=sick')).some((p) => p.metadata.uid === cur.metadata.uid));
    // A Ready pod is still protected.
    await assert.rejects(evict(ps[1]!.metadata.name!), (e: { code?: number }) => e.code === 429);
  });

  test('eviction: pending pods go freely, two budgets give 500, deleteOptions are honoured', async () => {
    await h.k(['apply', '-f', '-'], rs('pend', 2));
    const ps = await eventually('2 pods', async () => {
      const p = await listPods(h, 'default', 'app=pend');
      return p.length === 2 && p;
    });
    await markPodReady(h, ps[1]!);
    await h.k(['apply', '-f', '-'], pdb('pend', 'pend', 'minAvailable: 2'));
    await statusOf('pend', { currentHealthy: 1, disruptionsAllowed: 0 });
    // ps[0] is still Pending: it disrupts nothing.
    await h.client.createSubresource(PODS, 'default', ps[0]!.metadata.name!, 'eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: ps[0]!.metadata.name } });
    await h.k(['apply', '-f', '-'], pdb('pend2', 'pend', 'maxUnavailable: 1'));
    const running = (await pods('pend')).find((p: Pod) => p.status?.phase === 'Running')!;
    await assert.rejects(h.client.createSubresource(PODS, 'default', running.metadata.name!, 'eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: running.metadata.name } }), (e: { code?: number; message?: string }) => {
      assert.equal(e.code, 500);
      assert.match(e.message ?? '', /This pod has more than one PodDisruptionBudget, which the eviction subresource does not support./);
      return true;
    });
    const mismatch = await h.client.createSubresource(PODS, 'default', running.metadata.name!, 'eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'other' } }).catch((e: { code?: number; message?: string }) => e);
    assert.equal((mismatch as { code?: number }).code, 400);
    assert.match((mismatch as { message?: string }).message ?? '', /name in URL does not match name in Eviction object/);
    // With no budget left in the way, deleteOptions decide: a dry run deletes nothing, a stale precondition is a conflict.
    await h.k(['delete', 'pdb', 'pend', 'pend2']);
    const body = (deleteOptions: object) => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: running.metadata.name }, deleteOptions });
    await h.client.createSubresource(PODS, 'default', running.metadata.name!, 'eviction', body({ dryRun: ['All'] }));
    assert.ok(await h.client.get<Pod>(PODS, 'default', running.metadata.name!));
    await assert.rejects(h.client.createSubresource(PODS, 'default', running.metadata.name!, 'eviction', body({ preconditions: { resourceVersion: '1' } })), (e: { code?: number }) => e.code === 409);
    await h.client.createSubresource(PODS, 'default', running.metadata.name!, 'eviction', body({ preconditions: { uid: running.metadata.uid } }));
    await eventually('evicted', async () => !(await listPods(h, 'default', 'app=pend')).some((p) => p.metadata.uid === running.metadata.uid));
  });
});
