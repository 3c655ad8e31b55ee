import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, type Harness } from '../workloads/harness.js';
import { startSecureHarness } from './harness.js';
import { persistentVolumeBinderController } from '../../../src/controllers/volume/controller.js';
import { pvProtectionController, pvcProtectionController } from '../../../src/controllers/volume/protection.js';
import { PVCS, PVS } from '../../../src/controllers/volume/types.js';
import type { PersistentVolume, PersistentVolumeClaim } from '../../../src/controllers/volume/types.js';

// The PV controller against a real API server, driven with the real
// kubectl: upstream's static binding outcomes (smallest fitting volume,
// access modes, class, selector, volumeName and claimRef pre-binding),
// release and reclaim, the protection finalizers and the default class.

let h: Harness;

before(async () => {
  h = await startSecureHarness([persistentVolumeBinderController, pvcProtectionController, pvProtectionController]);
});
after(async () => {
  await h?.close();
});

function pv(name: string, size: string, o: { modes?: string[]; cls?: string; labels?: Record<string, string>; claimRef?: { namespace: string; name: string }; reclaim?: string } = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, labels: o.labels },
    spec: {
      capacity: { storage: size },
      accessModes: o.modes ?? ['ReadWriteOnce'],
      storageClassName: o.cls ?? 'manual',
      persistentVolumeReclaimPolicy: o.reclaim ?? 'Retain',
      hostPath: { path: `/tmp/k8ts-pv-test/${name}` },
      ...(o.claimRef ? { claimRef: o.claimRef } : {}),
    },
  });
}

function pvc(ns: string, name: string, size: string, o: { modes?: string[]; cls?: string | null; selector?: Record<string, string>; volumeName?: string } = {}): string {
  const spec: Record<string, unknown> = { accessModes: o.modes ?? ['ReadWriteOnce'], resources: { requests: { storage: size } } };
  if (o.cls !== null) spec.storageClassName = o.cls ?? 'manual';
  if (o.selector) spec.selector = { matchLabels: o.selector };
  if (o.volumeName) spec.volumeName = o.volumeName;
  return JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: ns }, spec });
}

async function apply(...docs: string[]): Promise<void> {
  for (const d of docs) await h.k(['create', '-f', '-'], d);
}

async function claim(ns: string, name: string): Promise<PersistentVolumeClaim> {
  return h.client.get<PersistentVolumeClaim>(PVCS, ns, name);
}

async function boundTo(ns: string, name: string): Promise<string> {
  return eventually(`${ns}/${name} bound`, async () => {
    const c = await claim(ns, name);
    return c.status?.phase === 'Bound' ? c.spec.volumeName : undefined;
  });
}

async function events(ns: string, name: string): Promise<string> {
  return h.k(['get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${name}`, '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
}

test('a claim binds the smallest volume big enough, and both objects record the binding as upstream', async () => {
  await h.k(['create', 'namespace', 'size']);
  await apply(pv('size-1g', '1Gi'), pv('size-5g', '5Gi'), pv('size-10g', '10Gi'));
  await apply(pvc('size', 'data', '3Gi'));
  assert.equal(await boundTo('size', 'data'), 'size-5g');
  const c = await claim('size', 'data');
  assert.equal(c.metadata.annotations?.['pv.kubernetes.io/bind-completed'], 'yes');
  assert.equal(c.metadata.annotations?.['pv.kubernetes.io/bound-by-controller'], 'yes');
  assert.deepEqual(c.status?.capacity, { storage: '5Gi' });
  assert.deepEqual(c.metadata.finalizers, ['kubernetes.io/pvc-protection']);
  const v = await eventually('pv bound', async () => {
    const x = await h.client.get<PersistentVolume>(PVS, undefined, 'size-5g');
    return x.status?.phase === 'Bound' ? x : undefined;
  });
  assert.equal(v.spec.claimRef?.uid, c.metadata.uid);
  assert.equal(v.metadata.annotations?.['pv.kubernetes.io/bound-by-controller'], 'yes');
  assert.deepEqual(v.metadata.finalizers, ['kubernetes.io/pv-protection']);

  const pvs = await h.k(['get', 'pv', 'size-5g', 'size-1g']);
  const lines = pvs.trim().split('\n');
  assert.match(lines[0]!, /^NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+REASON\s+AGE$/);
  assert.match(lines[1]!, /^size-5g\s+5Gi\s+RWO\s+Retain\s+Bound\s+size\/data\s+manual\s+<unset>\s+\S+$/);
  assert.match(lines[2]!, /^size-1g\s+1Gi\s+RWO\s+Retain\s+Available\s+manual\s+<unset>\s+\S+$/);
  const pvcs = await h.k(['get', 'pvc', '-n', 'size']);
  assert.match(pvcs, /^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE\n/);
  assert.match(pvcs, /\ndata\s+Bound\s+size-5g\s+5Gi\s+RWO\s+manual\s+<unset>\s+\S+\n/);

  // Nothing fits 20Gi: it waits, and the missing class is what the user is told.
  await apply(pvc('size', 'huge', '20Gi'));
  await eventually('ProvisioningFailed event', async () => /ProvisioningFailed: storageclass.storage.k8s.io "manual" not found/.test(await events('size', 'huge')));
  assert.equal((await claim('size', 'huge')).status?.phase, 'Pending');
});

test('access modes: every mode asked for must be offered, and the volume with the fewest modes wins', async () => {
  await h.k(['create', 'namespace', 'modes']);
  await apply(pv('modes-rwx', '1Gi', { cls: 'modes', modes: ['ReadWriteOnce', 'ReadWriteMany'] }), pv('modes-rwo', '2Gi', { cls: 'modes' }));
  await apply(pvc('modes', 'rwo', '1Gi', { cls: 'modes' }));
  // The RWO-only volume is bigger but has fewer modes: upstream's index tries it first.
  assert.equal(await boundTo('modes', 'rwo'), 'modes-rwo');
  await apply(pvc('modes', 'rwx', '1Gi', { cls: 'modes', modes: ['ReadWriteMany'] }));
  assert.equal(await boundTo('modes', 'rwx'), 'modes-rwx');
  await apply(pvc('modes', 'rox', '1Gi', { cls: 'modes', modes: ['ReadOnlyMany'] }));
  await eventually('rox pending with an event', async () => /ProvisioningFailed/.test(await events('modes', 'rox')));
  assert.equal((await claim('modes', 'rox')).status?.phase, 'Pending');
});

test('storage class: a claim binds only volumes of its class; no class and no volume says so', async () => {
  await h.k(['create', 'namespace', 'cls']);
  await apply(pv('cls-gold', '1Gi', { cls: 'gold' }), pv('cls-none', '1Gi', { cls: '' }));
  await apply(pvc('cls', 'none', '1Gi', { cls: '' }));
  assert.equal(await boundTo('cls', 'none'), 'cls-none');
  await apply(pvc('cls', 'none2', '1Gi', { cls: '' }));
  await eventually('FailedBinding event', async () => (await events('cls', 'none2')).includes('FailedBinding: no persistent volumes available for this claim and no storage class is set'));
  assert.equal((await claim('cls', 'none2')).status?.phase, 'Pending');
  await apply(pvc('cls', 'gold', '1Gi', { cls: 'gold' }));
  assert.equal(await boundTo('cls', 'gold'), 'cls-gold');
});

test('selector: only volumes whose labels match are candidates', async () => {
  await h.k(['create', 'namespace', 'sel']);
  await apply(pv('sel-silver', '1Gi', { cls: 'sel', labels: { tier: 'silver' } }), pv('sel-gold', '3Gi', { cls: 'sel', labels: { tier: 'gold' } }));
  await apply(pvc('sel', 'gold', '1Gi', { cls: 'sel', selector: { tier: 'gold' } }));
  assert.equal(await boundTo('sel', 'gold'), 'sel-gold');
  await apply(pvc('sel', 'bronze', '1Gi', { cls: 'sel', selector: { tier: 'bronze' } }));
  await eventually('bronze waits', async () => (await claim('sel', 'bronze')).status?.phase === 'Pending' && /ProvisioningFailed/.test(await events('sel', 'bronze')));
  const silver = await h.client.get<PersistentVolume>(PVS, undefined, 'sel-silver');
  assert.equal(silver.spec.claimRef, undefined);
});

test('pre-binding: volumeName takes the named volume or reports the mismatch; a claimRef reserves a volume for one claim', async () => {
  await h.k(['create', 'namespace', 'pre']);
  await apply(pv('pre-small', '1Gi', { cls: 'pre' }), pv('pre-big', '10Gi', { cls: 'pre' }), pv('pre-reserved', '1Gi', { cls: 'pre', claimRef: { namespace: 'pre', name: 'owner' } }));
  await apply(pvc('pre', 'named', '1Gi', { cls: 'pre', volumeName: 'pre-big' }));
  assert.equal(await boundTo('pre', 'named'), 'pre-big');
  const named = await claim('pre', 'named');
  // The user chose the volume: the controller did not bind the claim's side.
  assert.equal(named.metadata.annotations?.['pv.kubernetes.io/bound-by-controller'], undefined);
  await apply(pvc('pre', 'toosmall', '5Gi', { cls: 'pre', volumeName: 'pre-small' }));
  await eventually('VolumeMismatch', async () => (await events('pre', 'toosmall')).includes('VolumeMismatch: Cannot bind to requested volume "pre-small": requested PV is too small'));
  assert.equal((await claim('pre', 'toosmall')).status?.phase, 'Pending');
  // The reserved volume is Available but goes to its claim only.
  await eventually('reserved available', async () => (await h.client.get<PersistentVolume>(PVS, undefined, 'pre-reserved')).status?.phase === 'Available');
  await apply(pvc('pre', 'other', '1Gi', { cls: 'pre' }));
  assert.equal(await boundTo('pre', 'other'), 'pre-small');
  await apply(pvc('pre', 'owner', '1Gi', { cls: 'pre' }));
  assert.equal(await boundTo('pre', 'owner'), 'pre-reserved');
  const reserved = await h.client.get<PersistentVolume>(PVS, undefined, 'pre-reserved');
  assert.equal(reserved.spec.claimRef?.uid, (await claim('pre', 'owner')).metadata.uid);
});

test('release: Retain keeps a Released volume; Delete on a volume no plugin can delete fails as upstream', async () => {
  await h.k(['create', 'namespace', 'rel']);
  await apply(pv('rel-keep', '1Gi', { cls: 'rel-keep' }), pv('rel-del', '1Gi', { cls: 'rel-del', reclaim: 'Delete' }));
  await apply(pvc('rel', 'keep', '1Gi', { cls: 'rel-keep' }), pvc('rel', 'del', '1Gi', { cls: 'rel-del' }));
  await boundTo('rel', 'keep');
  await boundTo('rel', 'del');
  await h.k(['delete', 'pvc', '-n', 'rel', 'keep', 'del']);
  await eventually('rel-keep Released', async () => (await h.client.get<PersistentVolume>(PVS, undefined, 'rel-keep')).status?.phase === 'Released');
  const failed = await eventually('rel-del Failed', async () => {
    const v = await h.client.get<PersistentVolume>(PVS, undefined, 'rel-del');
    return v.status?.phase === 'Failed' ? v : undefined;
  });
  assert.equal(failed.status?.message, 'error getting deleter volume plugin for volume "rel-del": no deletable volume plugin matched');
  const out = await h.k(['get', 'pv', 'rel-keep']);
  assert.match(out, /rel-keep\s+1Gi\s+RWO\s+Retain\s+Released\s+rel\/keep\s+rel-keep/);
  // A released volume is deleted once nothing is bound to it (pv-protection lets go).
  await h.k(['delete', 'pv', 'rel-keep']);
  await eventually('rel-keep gone', async () => (await h.kRaw(['get', 'pv', 'rel-keep'])).code !== 0);
});

test('a claim in use by a pod survives kubectl delete pvc until the pod is gone', async () => {
  await h.k(['create', 'namespace', 'prot']);
  await apply(pv('prot-v', '1Gi', { cls: 'prot' }), pvc('prot', 'data', '1Gi', { cls: 'prot' }));
  await boundTo('prot', 'data');
  await h.k(['create', 'serviceaccount', 'default', '-n', 'prot']);
  await h.k(['create', '-f', '-'], JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'user', namespace: 'prot' },
    spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] },
  }));
  await h.k(['delete', 'pvc', '-n', 'prot', 'data', '--wait=false']);
  const out = await eventually('Terminating', async () => {
    const o = await h.k(['get', 'pvc', '-n', 'prot', 'data']);
    return o.includes('Terminating') ? o : undefined;
  });
  assert.match(out, /data\s+Terminating\s+prot-v\s+1Gi\s+RWO\s+prot/);
  // Deleting the PV meanwhile leaves it Terminating too: it is bound.
  await h.k(['delete', 'pv', 'prot-v', '--wait=false']);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await claim('prot', 'data')).metadata.deletionTimestamp !== undefined, true);
  const describe = await h.k(['describe', 'pvc', '-n', 'prot', 'data']);
  assert.match(describe, /Used By:\s+user/);
  assert.match(describe, /Finalizers:\s+\[kubernetes.io\/pvc-protection\]/);
  await h.k(['delete', 'pod', '-n', 'prot', 'user', '--grace-period=0', '--force']);
  await eventually('claim gone', async () => (await h.kRaw(['get', 'pvc', '-n', 'prot', 'data'])).code !== 0);
  await eventually('volume gone', async () => (await h.kRaw(['get', 'pv', 'prot-v'])).code !== 0);
});

test('DefaultStorageClass admission gives a claim without a class the default one; StorageClass is validated and printed', async () => {
  await h.k(['create', 'namespace', 'dflt']);
  const sc = (name: string, isDefault: boolean, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name, annotations: isDefault ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} }, provisioner: 'example.com/none', ...extra });
  await apply(sc('fast', true, { volumeBindingMode: 'WaitForFirstConsumer', allowVolumeExpansion: true }), sc('slow', false));
  const out = await h.k(['get', 'sc']);
  assert.match(out, /^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE\n/);
  assert.match(out, /\nfast \(default\)\s+example.com\/none\s+Delete\s+WaitForFirstConsumer\s+true\s+\S+\n/);
  assert.match(out, /\nslow\s+example.com\/none\s+Delete\s+Immediate\s+false\s+\S+\n/);
  await apply(pvc('dflt', 'auto', '1Gi', { cls: null }));
  const c = await claim('dflt', 'auto');
  assert.equal(c.spec.storageClassName, 'fast');
  await eventually('WaitForFirstConsumer', async () => (await events('dflt', 'auto')).includes('WaitForFirstConsumer: waiting for first consumer to be created before binding'));
  // Immediate class with an external provisioner: the claim is annotated and waits for it.
  await apply(pvc('dflt', 'ext', '1Gi', { cls: 'slow' }));
  await eventually('ExternalProvisioning', async () => (await events('dflt', 'ext')).includes("ExternalProvisioning: Waiting for a volume to be created either by the external provisioner 'example.com/none'"));
  assert.equal((await claim('dflt', 'ext')).metadata.annotations?.['volume.kubernetes.io/storage-provisioner'], 'example.com/none');

  const bad = await h.kRaw(['patch', 'sc', 'slow', '-p', '{"parameters":{"a":"b"}}']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /The StorageClass "slow" is invalid: parameters: Forbidden: updates to parameters are forbidden./);
  const noProv = await h.kRaw(['create', '-f', '-'], JSON.stringify({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'x' }, provisioner: '' }));
  assert.match(noProv.stderr, /provisioner: Required value/);
  // A claim of a class without allowVolumeExpansion may not grow.
  await apply(pv('dflt-v', '1Gi', { cls: 'slow' }));
  await boundTo('dflt', 'ext');
  const grow = await h.kRaw(['patch', 'pvc', '-n', 'dflt', 'ext', '-p', '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}']);
  assert.notEqual(grow.code, 0);
  assert.match(grow.stderr, /only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize/);
});
