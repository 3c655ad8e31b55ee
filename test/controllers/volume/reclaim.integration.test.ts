import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, type Harness } from '../workloads/harness.js';
import { startSecureHarness } from './harness.js';
import { startPersistentVolumeBinder } from '../../../src/controllers/volume/controller.js';
import { pvProtectionController, pvcProtectionController } from '../../../src/controllers/volume/protection.js';
import type { Provisioner } from '../../../src/controllers/volume/provisioner.js';
import { PVCS, PVS } from '../../../src/controllers/volume/types.js';
import type { PersistentVolume, PersistentVolumeClaim } from '../../../src/controllers/volume/types.js';

// Reclaim with policy Delete removes a volume's storage once. The binder's
// own phase write (Released) queues the volume again while its storage is
// being removed; the second pass must ask the server rather than trust the
// informer's copy, or the storage is removed twice (for Gluster: a second,
// late mount of the volume after the PV is gone).

const deletes: string[] = [];
const counting: Provisioner = {
  name: 'example.com/counting',
  async provision(req) {
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: req.pvName },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: `/tmp/k8ts-pv-test/${req.pvName}` } },
    };
  },
  async delete(pv) {
    deletes.push(pv.metadata.name!);
    // Slow enough that the Released update reaches the informer meanwhile.
    await new Promise((r) => setTimeout(r, 300));
  },
};

let h: Harness;

before(async () => {
  h = await startSecureHarness([
    { name: 'persistentvolume-binder', start: (ctx) => startPersistentVolumeBinder(ctx, [counting]) },
    pvcProtectionController,
    pvProtectionController,
  ]);
});
after(async () => {
  await h?.close();
});

test('a released volume with policy Delete has its storage removed once, then the PV is deleted', async () => {
  await h.k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'counting' }, provisioner: 'example.com/counting' }));
  const names: string[] = [];
  for (const n of ['a', 'b', 'c']) {
    await h.k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: n, namespace: 'default' }, spec: { storageClassName: 'counting', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }));
    const claim = await eventually(`${n} bound`, async () => {
      const c = await h.client.get<PersistentVolumeClaim>(PVCS, 'default', n);
      return c.status?.phase === 'Bound' ? c : undefined;
    });
    names.push(claim.spec.volumeName!);
  }
  await h.k(['delete', 'pvc', 'a', 'b', 'c']);
  for (const pv of names) await eventually(`${pv} deleted`, async () => (await h.kRaw(['get', 'pv', pv])).code !== 0);
  // A second removal would start right after the first pass ends: give it that time.
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual([...deletes].sort(), [...names].sort());
  assert.deepEqual((await h.client.list<PersistentVolume>(PVS, undefined)).items.filter((v) => names.includes(v.metadata.name!)), []);
});
