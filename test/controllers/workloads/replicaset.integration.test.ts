import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, eventually, listPods, markPodReady, type Harness } from './harness.js';
import { replicaSetController } from '../../../src/controllers/replicaset/controller.js';
import { PODS, REPLICASETS } from '../../../src/controllers/shared/resources.js';
import type { Pod, ReplicaSet } from '../../../src/controllers/shared/types.js';

const RS = `apiVersion: apps/v1
kind: ReplicaSet
metadata: { name: front, namespace: default }
spec:
  replicas: 3
  selector: { matchLabels: { app: front } }
  template:
    metadata: { labels: { app: front, tier: web } }
    spec:
      containers: [{ name: c, image: nginx }]
`;

describe('ReplicaSet controller against a real API server', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness([replicaSetController]);
  });
  after(async () => {
    await h?.close();
  });

  const getRs = () => h.client.get<ReplicaSet>(REPLICASETS, 'default', 'front');
  const active = async () => (await listPods(h, 'default', 'app=front')).filter((p) => !p.metadata.deletionTimestamp);

  test('creates replicas pods named <rs>-xxxxx with a controller reference', async () => {
    await h.k(['apply', '-f', '-'], RS);
    const pods = await eventually('3 pods', async () => {
      const ps = await active();
      return ps.length === 3 && ps;
    });
    const rs = await getRs();
    for (const p of pods) {
      assert.match(p.metadata.name!, /^front-[a-z0-9]{5}$/);
      assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'front', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      assert.equal(p.metadata.labels?.tier, 'web');
    }
    await eventually('status.replicas 3', async () => {
      const r = await getRs();
      return r.status?.replicas === 3 && r.status.fullyLabeledReplicas === 3 && r.status.observedGeneration === r.metadata.generation;
    });
    // Never over-creates: still three after things settle.
    assert.equal((await active()).length, 3);
  });

  test('ready pods are counted ready and available', async () => {
    for (const p of await active()) await markPodReady(h, p);
    await eventually('readyReplicas 3', async () => {
      const r = await getRs();
      return r.status?.readyReplicas === 3 && r.status.availableReplicas === 3;
    });
    const out = await h.k(['get', 'rs', 'front', '--no-headers']);
    assert.match(out, /^front\s+3\s+3\s+3\s+/);
  });

  test('kubectl scale down deletes not-ready pods first; scale up creates', async () => {
    // Two more pods, unready: scaling back to 3 must remove those two.
    await h.k(['scale', 'rs/front', '--replicas=5']);
    await eventually('5 pods', async () => (await active()).length === 5);
    await h.k(['scale', 'rs/front', '--replicas=3']);
    const left = await eventually('3 pods', async () => {
      const ps = await active();
      return ps.length === 3 && ps;
    });
    for (const p of left) assert.equal(p.status?.phase, 'Running', `${p.metadata.name} should be one of the ready ones`);
  });

  test('deleted pods are replaced', async () => {
    const [victim] = await active();
    await h.k(['delete', 'pod', victim!.metadata.name!]);
    await eventually('replacement', async () => {
      const ps = await active();
      return ps.length === 3 && !ps.some((p) => p.metadata.name === victim!.metadata.name);
    });
  });

  test('adopts a matching orphan and releases a pod whose labels stop matching', async () => {
    const orphan: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', namespace: 'default', labels: { app: 'front' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    const rs = await getRs();
    // Adopted, the stray makes four, and as the newest unscheduled pod it is the
    // likeliest to go: it may be deleted milliseconds after its adoption, so the
    // adoption is read from a watch, not polled.
    let adopted = false;
    const rv = (await h.client.list<Pod>(PODS, 'default')).metadata.resourceVersion;
    const w = h.client.watch<Pod>(PODS, 'default', { resourceVersion: rv }, (ev) => {
      if (ev.object.metadata?.name === 'stray' && ev.object.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid) adopted = true;
    });
    w.done.catch(() => undefined);
    try {
      await h.client.create(PODS, 'default', orphan);
      await eventually('stray adopted', async () => adopted);
    } finally {
      w.stop();
    }
    // Four now: one must go.
    await eventually('back to 3', async () => (await active()).length === 3);
    const keep = (await active())[0]!;
    await h.k(['label', 'pod', keep.metadata.name!, 'app=other', '--overwrite']);
    await eventually('released', async () => {
      const p = await h.client.get<Pod>(PODS, 'default', keep.metadata.name!);
      return (p.metadata.ownerReferences ?? []).length === 0;
    });
    await eventually('replaced released pod', async () => (await active()).length === 3);
  });

  test('events record the pods created and deleted', async () => {
    const out = await h.k(['get', 'events', '--field-selector', 'involvedObject.name=front', '-o', 'jsonpath={.items[*].reason}']);
    assert.match(out, /SuccessfulCreate/);
    assert.match(out, /SuccessfulDelete/);
  });
});
