import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { startHarness, eventually, listPods, markPodReady, markPodFinished, type Harness } from './harness.js';
import { statefulSetController } from '../../../src/controllers/statefulset/controller.js';
import { garbageCollectorController } from '../../../src/controllers/garbagecollector/controller.js';
import { podGcController } from '../../../src/controllers/podgc/controller.js';
import { CONTROLLERREVISIONS, NODES, PODS } from '../../../src/controllers/shared/resources.js';
import { PVCS } from '../../../src/controllers/statefulset/claims.js';
import { fastOptions } from '../helpers.js';
import { resourceFor } from '../../../src/api/scheme/resources.js';
import type { KubeObject } from '../../../src/api/types.js';
import type { StatefulSet } from '../../../src/controllers/statefulset/types.js';
import type { Pod } from '../../../src/controllers/shared/types.js';

const STS = resourceFor('apps', 'v1', 'statefulsets')!;
const EVENTS = resourceFor('', 'v1', 'events')!;

const manifest = (name: string, o: { replicas?: number; policy?: string; strategy?: string; claims?: boolean; retention?: string; image?: string } = {}): string => `apiVersion: apps/v1
kind: StatefulSet
metadata: { name: ${name}, namespace: default }
spec:
  serviceName: ${name}-svc
  replicas: ${o.replicas ?? 3}
  podManagementPolicy: ${o.policy ?? 'OrderedReady'}
${o.strategy ?? ''}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
      - name: main
        image: ${o.image ?? 'busybox:1'}
${o.claims === false ? '' : `        volumeMounts: [{ name: data, mountPath: /data }]
${o.retention ?? ''}
  volumeClaimTemplates:
  - metadata: { name: data }
    spec:
      accessModes: [ReadWriteOnce]
      resources: { requests: { storage: 1Gi } }`}
`;

describe('StatefulSet controller against a real API server', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness([statefulSetController, garbageCollectorController, podGcController], fastOptions());
  });
  after(async () => {
    await h?.close();
  });

  const live = async (app: string): Promise<Pod[]> => (await listPods(h, 'default', `app=${app}`)).filter((p) => !p.metadata.deletionTimestamp);
  const names = async (app: string): Promise<string[]> => (await live(app)).map((p) => p.metadata.name!).sort();
  const getSts = (name: string) => h.client.get<StatefulSet>(STS, 'default', name);
  const pvc = (name: string) => h.client.get<KubeObject>(PVCS, 'default', name).catch(() => undefined);
  const readyAll = async (app: string): Promise<void> => {
    for (const p of await live(app)) if (p.status?.phase !== 'Running') await markPodReady(h, p);
  };
  /** Waits for the controller to have seen the set's pods and then idle a little: absence checks need a settled controller. */
  const settle = async (name: string, replicas: number): Promise<void> => {
    await eventually(`${name} status shows ${replicas}`, async () => (await getSts(name)).status?.replicas === replicas);
    await sleep(700);
  };

  test('OrderedReady: pod N+1 is created only once 0..N are Running and Ready; identity and claims as upstream', async () => {
    await h.k(['apply', '-f', '-'], manifest('web'));
    await eventually('web-0', async () => (await names('web')).includes('web-0'));
    await settle('web', 1);
    assert.deepEqual(await names('web'), ['web-0'], 'web-1 waits for web-0');
    const p0 = (await live('web'))[0]!;
    const sts = await getSts('web');
    assert.equal(p0.spec?.hostname, 'web-0');
    assert.equal(p0.spec?.subdomain, 'web-svc');
    assert.equal(p0.metadata.labels?.['statefulset.kubernetes.io/pod-name'], 'web-0');
    assert.equal(p0.metadata.labels?.['apps.kubernetes.io/pod-index'], '0');
    assert.equal(p0.metadata.labels?.['controller-revision-hash'], sts.status?.updateRevision);
    assert.equal(p0.metadata.ownerReferences?.[0]?.uid, sts.metadata.uid);
    assert.deepEqual((p0.spec?.volumes as unknown[])[0], { name: 'data', persistentVolumeClaim: { claimName: 'data-web-0' } });
    const claim = await pvc('data-web-0');
    assert.ok(claim, 'claim made before the pod');
    assert.equal(claim.metadata.labels?.app, 'web');
    assert.equal(claim.metadata.ownerReferences, undefined, 'Retain/Retain: nobody owns the claim');

    await markPodReady(h, p0);
    await eventually('web-1', async () => (await names('web')).includes('web-1'));
    await settle('web', 2);
    assert.deepEqual(await names('web'), ['web-0', 'web-1'], 'web-2 waits for web-1');
    await readyAll('web');
    await eventually('web-2', async () => (await names('web')).includes('web-2'));
    await readyAll('web');
    await eventually('status', async () => {
      const s = (await getSts('web')).status;
      return s?.replicas === 3 && s.readyReplicas === 3 && s.availableReplicas === 3 && s.currentReplicas === 3 && s.updatedReplicas === 3 && s.currentRevision === s.updateRevision && s.observedGeneration === 1 && s.collisionCount === 0;
    });
    const events = (await h.client.list<KubeObject & { reason?: string; message?: string }>(EVENTS, 'default')).items;
    const msgs = events.map((e) => `${e.reason}: ${e.message}`);
    assert.ok(msgs.includes('SuccessfulCreate: create Pod web-0 in StatefulSet web successful'), msgs.join('\n'));
    assert.ok(msgs.includes('SuccessfulCreate: create Claim data-web-0 Pod web-0 in StatefulSet web success'), msgs.join('\n'));
    assert.match(await h.k(['get', 'sts', 'web']), /^NAME\s+READY\s+AGE\nweb\s+3\/3\s+\d+s\n$/);
    assert.match(await h.k(['rollout', 'status', 'statefulset/web', '--timeout=60s']), /partitioned roll out complete: 3 new pods have been updated/);
  });

  test('a deleted pod comes back with the same name and the same claim', async () => {
    const before1 = (await live('web')).find((p) => p.metadata.name === 'web-1')!;
    const claimUid = (await pvc('data-web-1'))!.metadata.uid;
    await h.k(['delete', 'pod', 'web-1', '--wait=false']);
    const again = await eventually('web-1 again', async () => (await live('web')).find((p) => p.metadata.name === 'web-1' && p.metadata.uid !== before1.metadata.uid));
    assert.deepEqual((again.spec?.volumes as unknown[])[0], { name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } });
    assert.equal((await pvc('data-web-1'))!.metadata.uid, claimUid);
    await markPodReady(h, again);
  });

  test('a failed pod is recreated with a RecreatingFailedPod event', async () => {
    const p2 = (await live('web')).find((p) => p.metadata.name === 'web-2')!;
    await markPodFinished(h, p2, 'Failed');
    const again = await eventually('web-2 recreated', async () => (await live('web')).find((p) => p.metadata.name === 'web-2' && p.metadata.uid !== p2.metadata.uid));
    await markPodReady(h, again);
    const events = (await h.client.list<KubeObject & { reason?: string; message?: string }>(EVENTS, 'default')).items;
    assert.ok(events.some((e) => e.reason === 'RecreatingFailedPod' && e.message === 'StatefulSet default/web is recreating failed Pod web-2'));
  });

  test('kubectl scale down removes the highest ordinals one at a time and keeps their claims; scale up reuses them', async () => {
    await eventually('3 ready', async () => (await getSts('web')).status?.readyReplicas === 3);
    const uids = await Promise.all(['data-web-1', 'data-web-2'].map(async (n) => (await pvc(n))!.metadata.uid));
    // The state with web-2 gone and web-1 still there may last only milliseconds, so a poll can miss it: the
    // order is read from a watch instead. OrderedReady deletes web-1 only after web-2 is gone for good.
    const seen: string[] = [];
    const rv = (await h.client.list<Pod>(PODS, 'default', { labelSelector: 'app=web' })).metadata.resourceVersion;
    const w = h.client.watch<Pod>(PODS, 'default', { labelSelector: 'app=web', resourceVersion: rv }, (ev) => {
      const name = ev.object.metadata?.name;
      if (ev.type === 'DELETED') seen.push(`${name} gone`);
      else if (ev.object.metadata?.deletionTimestamp && !seen.includes(`${name} terminating`)) seen.push(`${name} terminating`);
    });
    w.done.catch(() => undefined);
    try {
      await h.k(['scale', 'sts', 'web', '--replicas=1']);
      await eventually('web-1 and web-2 gone', async () => JSON.stringify(await names('web')) === '["web-0"]' && seen.includes('web-1 gone'));
    } finally {
      w.stop();
    }
    const at = (e: string): number => seen.indexOf(e);
    assert.ok(at('web-2 gone') >= 0 && at('web-2 gone') < at('web-1 gone'), seen.join(', '));
    assert.ok(at('web-1 terminating') < 0 || at('web-2 gone') < at('web-1 terminating'), `web-1 goes only after web-2 is gone: ${seen.join(', ')}`);
    assert.deepEqual(await Promise.all(['data-web-1', 'data-web-2'].map(async (n) => (await pvc(n))?.metadata.uid)), uids);
    await h.k(['scale', 'sts', 'web', '--replicas=3']);
    await eventually('web-1 back', async () => (await names('web')).includes('web-1'));
    await readyAll('web');
    await eventually('web-2 back', async () => (await names('web')).includes('web-2'));
    await readyAll('web');
    assert.deepEqual(await Promise.all(['data-web-1', 'data-web-2'].map(async (n) => (await pvc(n))?.metadata.uid)), uids);
    await eventually('3 ready again', async () => (await getSts('web')).status?.readyReplicas === 3);
  });

  test('a rolling update with partition 2 replaces only web-2; rollout history and undo read ControllerRevisions', async () => {
    const oldRev = (await getSts('web')).status!.currentRevision!;
    await h.k(['patch', 'sts', 'web', '-p', '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}']);
    await h.k(['set', 'image', 'sts/web', 'main=busybox:2']);
    const sts = await eventually('new update revision', async () => {
      const s = await getSts('web');
      return s.status?.updateRevision !== oldRev && s.status?.observedGeneration === s.metadata.generation ? s : undefined;
    });
    const newRev = sts.status!.updateRevision!;
    const p2 = await eventually('web-2 updated', async () => (await live('web')).find((p) => p.metadata.name === 'web-2' && p.metadata.labels?.['controller-revision-hash'] === newRev));
    assert.equal((p2.spec?.containers?.[0] as { image?: string }).image, 'busybox:2');
    await markPodReady(h, p2);
    await eventually('partition status', async () => (await getSts('web')).status?.updatedReplicas === 1);
    await sleep(700);
    for (const p of await live('web')) {
      if (p.metadata.name === 'web-2') continue;
      assert.equal(p.metadata.labels?.['controller-revision-hash'], oldRev, `${p.metadata.name} stays below the partition`);
    }
    assert.match(await h.k(['rollout', 'status', 'sts/web', '--timeout=60s']), /partitioned roll out complete: 1 new pods have been updated/);
    const s = (await getSts('web')).status!;
    assert.equal(s.currentRevision, oldRev);
    assert.equal(s.currentReplicas, 2);

    const history = await h.k(['rollout', 'history', 'statefulset/web']);
    assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    assert.match(await h.k(['rollout', 'undo', 'statefulset/web']), /statefulset.apps\/web rolled back/);
    await eventually('template back', async () => ((await getSts('web')).spec?.template?.spec?.containers?.[0] as { image?: string }).image === 'busybox:1');
    const back = await eventually('web-2 back at the old revision', async () => (await live('web')).find((p) => p.metadata.name === 'web-2' && p.metadata.labels?.['controller-revision-hash'] === oldRev));
    await markPodReady(h, back);
    await eventually('rolled back', async () => {
      const st = (await getSts('web')).status;
      return st?.updateRevision === oldRev && st.currentRevision === oldRev && st.updatedReplicas === 3;
    });
    const revs = (await h.client.list<KubeObject & { revision?: number }>(CONTROLLERREVISIONS, 'default', { labelSelector: 'app=web' })).items;
    assert.equal(revs.find((r) => r.metadata.name === oldRev)?.revision, 3, 'the re-used revision is renumbered');
  });

  test('kubectl rollout restart rolls every pod, highest first', async () => {
    await h.k(['patch', 'sts', 'web', '-p', '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}']);
    await h.k(['rollout', 'restart', 'sts/web']);
    await readyPodsUntilDone(h, 'web', async () => {
      const s = (await getSts('web')).status;
      return !!s && s.observedGeneration === (await getSts('web')).metadata.generation && s.updatedReplicas === 3 && s.readyReplicas === 3 && s.currentRevision === s.updateRevision;
    });
    // kubectl reports any set with a partition field (0 included) as a partitioned roll out.
    assert.match(await h.k(['rollout', 'status', 'sts/web', '--timeout=60s']), /partitioned roll out complete: 3 new pods have been updated/);
  });

  test('OnDelete: a new template reaches a pod only when it is deleted', async () => {
    await h.k(['apply', '-f', '-'], manifest('ond', { replicas: 2, policy: 'Parallel', claims: false, strategy: '  updateStrategy: { type: OnDelete }' }));
    await eventually('2 pods', async () => (await names('ond')).length === 2);
    await readyAll('ond');
    const oldRev = await eventually('rev', async () => (await getSts('ond')).status?.updateRevision);
    await h.k(['set', 'image', 'sts/ond', 'main=busybox:2']);
    await eventually('update revision', async () => (await getSts('ond')).status?.updateRevision !== oldRev);
    await sleep(700);
    for (const p of await live('ond')) assert.equal(p.metadata.labels?.['controller-revision-hash'], oldRev);
    await h.k(['delete', 'pod', 'ond-0', '--wait=false']);
    const p0 = await eventually('ond-0 at the new revision', async () => (await live('ond')).find((p) => p.metadata.name === 'ond-0' && p.metadata.labels?.['controller-revision-hash'] !== oldRev));
    assert.equal((p0.spec?.containers?.[0] as { image?: string }).image, 'busybox:2');
    assert.equal((await live('ond')).find((p) => p.metadata.name === 'ond-1')?.metadata.labels?.['controller-revision-hash'], oldRev);
  });

  test('Parallel creates every pod at once; whenScaled Delete removes claims of scaled-down pods', async () => {
    const retention = '  persistentVolumeClaimRetentionPolicy: { whenDeleted: Delete, whenScaled: Delete }';
    await h.k(['apply', '-f', '-'], manifest('par', { replicas: 4, policy: 'Parallel', retention }));
    await eventually('4 pods without any ready', async () => (await names('par')).length === 4);
    const sts = await getSts('par');
    const c3 = (await pvc('data-par-3'))!;
    assert.deepEqual(
      c3.metadata.ownerReferences?.map((r) => [r.kind, r.uid, r.controller]),
      [['StatefulSet', sts.metadata.uid, true]],
      'whenDeleted Delete: the set owns claims in range',
    );
    await h.k(['scale', 'sts', 'par', '--replicas=2']);
    await eventually('par-2 and par-3 gone', async () => JSON.stringify(await names('par')) === '["par-0","par-1"]');
    await eventually('their claims collected', async () => !(await pvc('data-par-2')) && !(await pvc('data-par-3')));
    assert.ok(await pvc('data-par-0'));
    await h.k(['delete', 'sts', 'par']);
    await eventually('claims collected with the set', async () => !(await pvc('data-par-0')) && !(await pvc('data-par-1')));
  });

  test('maxUnavailable 2 replaces the two highest ordinals at once', async () => {
    const strategy = '  updateStrategy: { type: RollingUpdate, rollingUpdate: { maxUnavailable: 2 } }';
    await h.k(['apply', '-f', '-'], manifest('mu', { replicas: 4, policy: 'Parallel', claims: false, strategy }));
    await eventually('4 pods', async () => (await names('mu')).length === 4);
    await readyAll('mu');
    const oldRev = await eventually('4 ready', async () => {
      const s = (await getSts('mu')).status;
      return s?.readyReplicas === 4 ? s.updateRevision : undefined;
    });
    await h.k(['set', 'image', 'sts/mu', 'main=busybox:2']);
    await eventually('mu-2 and mu-3 at the new revision', async () => {
      const ps = await live('mu');
      return ps.filter((p) => p.metadata.labels?.['controller-revision-hash'] !== oldRev).map((p) => p.metadata.name).sort().join() === 'mu-2,mu-3';
    });
    await sleep(700);
    const old = (await live('mu')).filter((p) => p.metadata.labels?.['controller-revision-hash'] === oldRev).map((p) => p.metadata.name).sort();
    assert.deepEqual(old, ['mu-0', 'mu-1'], 'no third pod goes while two are unavailable');
    await readyPodsUntilDone(h, 'mu', async () => (await getSts('mu')).status?.updatedReplicas === 4 && (await getSts('mu')).status?.readyReplicas === 4);
  });

  test('minReadySeconds: the next ordinal waits until its predecessor has been ready that long', async () => {
    await h.k(['apply', '-f', '-'], manifest('mrs', { replicas: 2, claims: false }).replace('  podManagementPolicy:', '  minReadySeconds: 2\n  podManagementPolicy:'));
    const p0 = await eventually('mrs-0', async () => (await live('mrs'))[0]);
    await markPodReady(h, p0);
    await eventually('ready but not available', async () => {
      const s = (await getSts('mrs')).status;
      return s?.readyReplicas === 1 && s.availableReplicas === 0;
    });
    assert.deepEqual(await names('mrs'), ['mrs-0'], 'mrs-1 waits while mrs-0 is not yet available');
    await eventually('available', async () => (await getSts('mrs')).status?.availableReplicas === 1);
    await eventually('mrs-1 once mrs-0 is available', async () => (await names('mrs')).includes('mrs-1'));
  });

  test('@kubernetes/client-node reads status and scales through the scale subresource', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(h.kubeconfig);
    // client-node refuses plain http unless skipTLSVerify is set (no effect on http), as against upstream over http.
    kc.loadFromOptions({ clusters: kc.clusters.map((c) => ({ ...c, skipTLSVerify: true })), users: kc.users, contexts: kc.contexts, currentContext: kc.currentContext });
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const sts = await apps.readNamespacedStatefulSetStatus({ name: 'ond', namespace: 'default' });
    assert.equal(sts.status?.replicas, 2);
    assert.match(sts.status?.updateRevision ?? '', /^ond-/);
    const scale = await apps.readNamespacedStatefulSetScale({ name: 'ond', namespace: 'default' });
    assert.equal(scale.spec?.replicas, 2);
    assert.equal(scale.status?.selector, 'app=ond');
    await apps.replaceNamespacedStatefulSetScale({ name: 'ond', namespace: 'default', body: { ...scale, spec: { replicas: 3 } } });
    await eventually('ond-2', async () => (await names('ond')).includes('ond-2'));
  });

  test('a pod on a dead node is not replaced until it is gone; the out-of-service taint lets the pod GC remove it', async () => {
    await h.client.create(NODES, undefined, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'dead' },
      status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }] },
    } as KubeObject);
    await h.k(['apply', '-f', '-'], manifest('db', { replicas: 1, claims: false }));
    const p0 = await eventually('db-0', async () => (await live('db'))[0]);
    await h.client.createSubresource(PODS, 'default', 'db-0', 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'db-0' }, target: { kind: 'Node', name: 'dead' } });
    await markPodReady(h, p0);
    // What the taint manager does to pods of an unreachable node: a graceful delete no kubelet will ever finish.
    await h.k(['delete', 'pod', 'db-0', '--wait=false']);
    const terminating = await h.client.get<Pod>(PODS, 'default', 'db-0');
    assert.ok(terminating.metadata.deletionTimestamp);
    await sleep(1500);
    const all = await listPods(h, 'default', 'app=db');
    assert.deepEqual(all.map((p) => p.metadata.uid), [p0.metadata.uid], 'no second copy while the old pod object exists');

    await h.k(['taint', 'node', 'dead', 'node.kubernetes.io/out-of-service=nodeshutdown:NoExecute']);
    const again = await eventually('db-0 replaced', async () => (await listPods(h, 'default', 'app=db')).find((p) => p.metadata.uid !== p0.metadata.uid));
    assert.equal(again.metadata.name, 'db-0');
    assert.equal(again.spec?.nodeName, undefined);
  });

  test('invalid StatefulSets are refused with upstream messages', async () => {
    const bad = manifest('bad', { claims: false }).replace('podManagementPolicy: OrderedReady', 'podManagementPolicy: Sometimes');
    const r = await h.kRaw(['apply', '-f', '-'], bad);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec.podManagementPolicy: Invalid value: "Sometimes": must be 'OrderedReady' or 'Parallel'/);
    const zero = await h.kRaw(['apply', '-f', '-'], manifest('bad', { claims: false, strategy: '  updateStrategy: { type: RollingUpdate, rollingUpdate: { maxUnavailable: 0 } }' }));
    assert.notEqual(zero.code, 0);
    assert.match(zero.stderr, /spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: cannot be 0/);
    const imm = await h.kRaw(['patch', 'sts', 'web', '-p', '{"spec":{"serviceName":"other"}}']);
    assert.notEqual(imm.code, 0);
    assert.match(imm.stderr, /updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden/);
  });
});

async function readyPodsUntilDone(h: Harness, app: string, until: () => Promise<boolean>): Promise<void> {
  await eventually(`pods ${app} ready until done`, async () => {
    for (const p of await listPods(h, 'default', `app=${app}`)) {
      if (p.metadata.deletionTimestamp) continue;
      if (p.status?.phase !== 'Running') await markPodReady(h, p).catch(() => undefined);
    }
    return until();
  });
}
