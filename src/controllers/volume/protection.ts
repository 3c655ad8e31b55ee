import { isNotFound } from '../../client/status.js';
import { logger } from '../../util/log.js';
import { PODS } from '../core-resources.js';
import { KeyWorker, ensureIndex } from '../shared/worker.js';
import type { ControllerContext, ControllerDescriptor, RunningController } from '../types.js';
import { PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER, PVCS, PVS, type PersistentVolume, type PersistentVolumeClaim } from './types.js';
import type { KubeObject } from '../../api/types.js';

// Upstream's pvc-protection and pv-protection controllers: the admission
// plugin puts the finalizer on every new claim and volume; these take it
// off a deleted object once nothing uses it (a claim: no pod that is not
// finished references it; a volume: no claim is bound to it).

interface PodLike extends KubeObject {
  spec?: { volumes?: { persistentVolumeClaim?: { claimName?: string } }[] };
  status?: { phase?: string };
}

const CLAIM_INDEX = 'pvc-protection:claims';

function claimsOf(p: PodLike): string[] {
  return (p.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim?.claimName ? [`${p.metadata.namespace}/${v.persistentVolumeClaim.claimName}`] : []));
}

function podTerminated(p: PodLike): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

async function removeFinalizer(ctx: ControllerContext, info: typeof PVS, obj: KubeObject, finalizer: string): Promise<void> {
  const next = structuredClone(obj);
  next.metadata.finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  try {
    await ctx.client.update(info, obj.metadata.namespace, next);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

export async function startPvcProtection(ctx: ControllerContext): Promise<RunningController> {
  const log = logger('pvc-protection-controller');
  const claims = ctx.informers.informerFor<PersistentVolumeClaim>(PVCS);
  const pods = ctx.informers.informerFor<PodLike>(PODS);
  ensureIndex(pods, CLAIM_INDEX, claimsOf);
  const sync = async (key: string): Promise<void> => {
    const c = claims.store.get(key);
    if (!c || !c.metadata.deletionTimestamp || !c.metadata.finalizers?.includes(PVC_PROTECTION_FINALIZER)) return;
    const users = pods.store.byIndex(CLAIM_INDEX, key).filter((p) => !podTerminated(p));
    if (users.length > 0) return;
    // The cache may miss a pod created a moment ago; upstream asks the server too.
    const live = await ctx.client.list<PodLike>(PODS, c.metadata.namespace);
    if (live.items.some((p) => !podTerminated(p) && claimsOf(p).includes(key))) return;
    await removeFinalizer(ctx, PVCS, c, PVC_PROTECTION_FINALIZER);
    log.info({ claim: key }, 'removed protection finalizer from an unused claim');
  };
  const worker = new KeyWorker({ name: 'pvc-protection-controller', workers: 1, sync });
  const q = (c: PersistentVolumeClaim): void => worker.add(`${c.metadata.namespace}/${c.metadata.name}`);
  const podChanged = (p: PodLike): void => {
    if (!podTerminated(p) && !p.metadata.deletionTimestamp) return;
    for (const k of claimsOf(p)) worker.add(k);
  };
  const regs = [
    claims.addEventHandler({ onAdd: q, onUpdate: (_o, c) => q(c) }),
    pods.addEventHandler({ onUpdate: (_o, p) => podChanged(p), onDelete: (p) => { for (const k of claimsOf(p)) worker.add(k); } }),
  ];
  worker.run([claims, pods]);
  return {
    async stop() {
      for (const r of regs) r.remove();
      await worker.stop();
    },
  };
}

export async function startPvProtection(ctx: ControllerContext): Promise<RunningController> {
  const log = logger('pv-protection-controller');
  const volumes = ctx.informers.informerFor<PersistentVolume>(PVS);
  const sync = async (name: string): Promise<void> => {
    const v = volumes.store.get(name);
    if (!v || !v.metadata.deletionTimestamp || !v.metadata.finalizers?.includes(PV_PROTECTION_FINALIZER)) return;
    // A volume is in use while it is Bound (upstream's isVolumeUsed).
    if (v.status?.phase === 'Bound') return;
    await removeFinalizer(ctx, PVS, v, PV_PROTECTION_FINALIZER);
    log.info({ pv: name }, 'removed protection finalizer from an unused volume');
  };
  const worker = new KeyWorker({ name: 'pv-protection-controller', workers: 1, sync });
  const q = (v: PersistentVolume): void => worker.add(v.metadata.name!);
  const regs = [volumes.addEventHandler({ onAdd: q, onUpdate: (_o, v) => q(v) })];
  worker.run([volumes]);
  return {
    async stop() {
      for (const r of regs) r.remove();
      await worker.stop();
    },
  };
}

export const pvcProtectionController: ControllerDescriptor = { name: 'pvc-protection', start: startPvcProtection };
export const pvProtectionController: ControllerDescriptor = { name: 'pv-protection', start: startPvProtection };
