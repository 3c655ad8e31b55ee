import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, eventually, listPods, markPodReady, type Harness } from './harness.js';
import { workloadControllers } from '../../../src/controllers/workloads.js';
import { DEPLOYMENTS, REPLICASETS } from '../../../src/controllers/shared/resources.js';
import type { Deployment, ReplicaSet } from '../../../src/controllers/shared/types.js';

// kubectl's deployment workflow end to end: create, rollout status, set
// image, history, undo, scale, pause and resume, with the test playing the
// kubelet that turns pods ready.

const DEPLOY = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: default, labels: { app: web } }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: nginx, image: nginx }]
`;

describe('Deployment controller with the real kubectl', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(workloadControllers);
  });
  after(async () => {
    await h?.close();
  });

  const getD = () => h.client.get<Deployment>(DEPLOYMENTS, 'default', 'web');
  const sets = async () => (await h.client.list<ReplicaSet>(REPLICASETS, 'default', { labelSelector: 'app=web' })).items;
  const live = async () => (await listPods(h, 'default', 'app=web')).filter((p) => !p.metadata.deletionTimestamp);

  /**
   * Plays the kubelet until the rollout is done: marks new pods ready one
   * at a time and checks the rolling-update budget at every step.
   */
  async function rollOut(maxTotal: number, minAvailable: number): Promise<void> {
    await eventually('rollout finished', async () => {
      const pods = await live();
      assert.ok(pods.length <= maxTotal, `${pods.length} pods exceed replicas + maxSurge = ${maxTotal}`);
      const ready = pods.filter((p) => p.status?.phase === 'Running').length;
      assert.ok(ready >= minAvailable, `${ready} ready pods, below replicas - maxUnavailable = ${minAvailable}`);
      const pending = pods.find((p) => p.status?.phase !== 'Running');
      if (pending) await markPodReady(h, pending).catch(() => undefined);
      const d = await getD();
      const s = d.status ?? {};
      return (
        !pending &&
        (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
        s.updatedReplicas === d.spec?.replicas &&
        s.replicas === d.spec?.replicas &&
        s.availableReplicas === d.spec?.replicas
      );
    });
  }

  test('kubectl create deployment makes a ReplicaSet <name>-<hash> and its pods, all owned', async () => {
    const r = await h.kRaw(['create', 'deployment', 'web', '--image=nginx', '--replicas=3']);
    // Until protobuf request bodies are served, fall back to the same object as YAML.
    if (r.code !== 0) await h.k(['apply', '-f', '-'], DEPLOY);
    const d = await getD();
    const rs = await eventually('one replica set', async () => {
      const l = await sets();
      return l.length === 1 && l[0];
    });
    const hash = rs.metadata.labels?.['pod-template-hash'];
    assert.ok(hash && /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/.test(hash), `hash ${hash}`);
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.equal(rs.spec?.selector?.matchLabels?.['pod-template-hash'], hash);
    assert.deepEqual(rs.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '3');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '4');
    const pods = await eventually('3 pods', async () => {
      const ps = await live();
      return ps.length === 3 && ps;
    });
    for (const p of pods) {
      assert.match(p.metadata.name!, new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
      assert.equal(p.metadata.ownerReferences?.[0]?.uid, rs.metadata.uid);
      assert.equal(p.metadata.labels?.['pod-template-hash'], hash);
    }
  });

  test('kubectl rollout status succeeds once the pods are ready', async () => {
    const before = await h.kRaw(['rollout', 'status', 'deployment/web', '--watch=false']);
    assert.match(before.stdout, /Waiting for deployment "web" rollout to finish: 0 of 3 updated replicas are available/);
    await rollOut(3, 0);
    const out = await h.k(['rollout', 'status', 'deployment/web']);
    assert.match(out, /deployment "web" successfully rolled out/);
    const d = await getD();
    const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
    const available = d.status?.conditions?.find((c) => c.type === 'Available');
    assert.equal(progressing?.reason, 'NewReplicaSetAvailable');
    assert.match(progressing?.message ?? '', /^ReplicaSet "web-\w+" has successfully progressed\.$/);
    assert.equal(available?.status, 'True');
    assert.equal(available?.reason, 'MinimumReplicasAvailable');
  });

  test('kubectl set image rolls out a new ReplicaSet within maxSurge and maxUnavailable', async () => {
    await h.k(['set', 'image', 'deployment/web', 'nginx=nginx:2']);
    // 25% of 3: surge rounds up to 1, unavailable down to 0.
    await rollOut(4, 3);
    await h.k(['rollout', 'status', 'deployment/web']);
    const l = await sets();
    assert.equal(l.length, 2);
    const byRev = Object.fromEntries(l.map((rs) => [rs.metadata.annotations?.['deployment.kubernetes.io/revision'], rs]));
    assert.equal(byRev['2']?.spec?.template?.spec?.containers?.[0]?.image, 'nginx:2');
    assert.equal(byRev['2']?.spec?.replicas, 3);
    assert.equal(byRev['1']?.spec?.replicas, 0);
    for (const p of await live()) assert.equal(p.spec?.containers?.[0]?.image, 'nginx:2');
    const events = await h.k(['get', 'events', '--field-selector', 'involvedObject.kind=Deployment', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
    assert.match(events, /Scaled up replica set web-\w+ from 0 to 1/);
    assert.match(events, /Scaled down replica set web-\w+ from \d to \d/);
  });

  test('kubectl rollout history lists both revisions', async () => {
    const out = await h.k(['rollout', 'history', 'deployment/web']);
    assert.match(out, /REVISION\s+CHANGE-CAUSE/);
    assert.match(out, /^1\s+<none>/m);
    assert.match(out, /^2\s+<none>/m);
    const rev2 = await h.k(['rollout', 'history', 'deployment/web', '--revision=2']);
    assert.match(rev2, /Image:\s+nginx:2/);
  });

  test('kubectl rollout undo goes back to the previous template as revision 3', async () => {
    const out = await h.k(['rollout', 'undo', 'deployment/web']);
    assert.match(out, /deployment.apps\/web rolled back/);
    await rollOut(4, 3);
    await h.k(['rollout', 'status', 'deployment/web']);
    const l = await sets();
    assert.equal(l.length, 2, 'the old set is reused, not a third one created');
    const current = l.find((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '3');
    assert.ok(current, 'revision 3 exists');
    assert.equal(current.spec?.template?.spec?.containers?.[0]?.image, 'nginx');
    assert.equal(current.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    const hist = await h.k(['rollout', 'history', 'deployment/web']);
    assert.match(hist, /^2\s+<none>/m);
    assert.match(hist, /^3\s+<none>/m);
  });

  test('kubectl scale resizes the current ReplicaSet', async () => {
    await h.k(['scale', 'deployment/web', '--replicas=5']);
    await rollOut(5, 0);
    const l = await sets();
    const current = l.find((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '3')!;
    assert.equal(current.spec?.replicas, 5);
    assert.equal(current.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '5');
    assert.match(await h.k(['rollout', 'status', 'deployment/web']), /successfully rolled out/);
  });

  test('kubectl rollout pause holds template changes until resume', async () => {
    await h.k(['rollout', 'pause', 'deployment/web']);
    await eventually('paused condition', async () => (await getD()).status?.conditions?.some((c) => c.reason === 'DeploymentPaused'));
    await h.k(['set', 'image', 'deployment/web', 'nginx=nginx:3']);
    await eventually('generation observed', async () => {
      const d = await getD();
      return (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
    });
    assert.equal((await sets()).length, 2, 'no new set while paused');
    const undo = await h.kRaw(['rollout', 'undo', 'deployment/web']);
    assert.notEqual(undo.code, 0);
    assert.match(undo.stderr, /you cannot rollback a paused deployment; resume it first/);
    await h.k(['rollout', 'resume', 'deployment/web']);
    await eventually('third set', async () => (await sets()).length === 3);
    await rollOut(5 + 2, 5 - 1);
    assert.match(await h.k(['rollout', 'status', 'deployment/web']), /successfully rolled out/);
  });

  test('a deployment that cannot progress reports ProgressDeadlineExceeded and rollout status fails', async () => {
    await h.k(['patch', 'deployment/web', '-p', '{"spec":{"progressDeadlineSeconds":1}}']);
    await h.k(['set', 'image', 'deployment/web', 'nginx=broken']);
    // Nobody marks the new pods ready: the deadline passes.
    await eventually('timed out', async () => (await getD()).status?.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded'));
    const r = await h.kRaw(['rollout', 'status', 'deployment/web']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /deployment "web" exceeded its progress deadline/);
  });
});
