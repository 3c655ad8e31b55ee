import { logger } from '../../util/log.js';
import { KeyWorker } from '../shared/worker.js';
import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import { Binder } from './binder.js';
import { expandClaim } from './expand.js';
import { glusterProvisionerFromOptions } from './gluster-provisioner.js';
import type { Provisioner } from './provisioner.js';
import { PVCS, PVS, STORAGECLASSES, type PersistentVolume, type PersistentVolumeClaim, type StorageClass } from './types.js';

// Upstream's persistentvolume-binder: one queue of claims and one of
// volumes (keys "claim:ns/name", "volume:name"), both resynced every 15 s as
// upstream's --pvclaimbinder-sync-period, so a claim waiting for a volume
// notices one created later even without an event naming it.

const log = logger('persistentvolume-binder-controller');
const RESYNC_MS = 15_000;

export async function startPersistentVolumeBinder(ctx: ControllerContext, extra: Provisioner[] = []): Promise<RunningController> {
  const volumes = ctx.informers.informerFor<PersistentVolume>(PVS);
  const claims = ctx.informers.informerFor<PersistentVolumeClaim>(PVCS);
  const classes = ctx.informers.informerFor<StorageClass>(STORAGECLASSES);
  const provisioners = new Map<string, Provisioner>();
  const gluster = glusterProvisionerFromOptions(ctx.client, ctx.options.extra);
  if (gluster) provisioners.set(gluster.name, gluster);
  for (const p of extra) provisioners.set(p.name, p);

  const worker: KeyWorker = new KeyWorker({
    name: 'persistentvolume-binder-controller',
    workers: 1,
    sync: async (key) => {
      if (key.startsWith('volume:')) {
        const v = volumes.store.get(key.slice(7));
        if (v) await binder.syncVolume(v);
        return;
      }
      const k = key.slice(6);
      const c = claims.store.get(k);
      if (!c) return;
      await binder.syncClaim(c);
      await expandClaim({ client: ctx.client, recorder, volumes, classes, provisioners }, c);
    },
  });
  const recorder = ctx.recorder('persistentvolume-controller');
  const binder = new Binder({ client: ctx.client, recorder, log, volumes, claims, classes, provisioners, queueClaim: (k) => worker.add(`claim:${k}`) });

  const qc = (c: PersistentVolumeClaim): void => worker.add(`claim:${c.metadata.namespace}/${c.metadata.name}`);
  const qv = (v: PersistentVolume): void => worker.add(`volume:${v.metadata.name}`);
  const regs = [
    claims.addEventHandler({ onAdd: qc, onUpdate: (_o, c) => qc(c), onDelete: (c) => {
      // The claim's volume is released now.
      if (c.spec.volumeName) worker.add(`volume:${c.spec.volumeName}`);
    } }, RESYNC_MS),
    volumes.addEventHandler({
      onAdd: qv,
      onUpdate: (_o, v) => {
        qv(v);
        // A volume that changed may be what a waiting claim needs.
        const ref = v.spec.claimRef;
        if (ref?.name) worker.add(`claim:${ref.namespace}/${ref.name}`);
      },
    }, RESYNC_MS),
    classes.addEventHandler({ onAdd: () => { for (const c of claims.store.list()) if (c.status?.phase === 'Pending') qc(c); } }),
  ];
  worker.run([volumes, claims, classes]);
  return {
    async stop() {
      for (const r of regs) r.remove();
      await worker.stop();
    },
  };
}

export const persistentVolumeBinderController: ControllerDescriptor = { name: 'persistentvolume-binder', start: (ctx) => startPersistentVolumeBinder(ctx) };
