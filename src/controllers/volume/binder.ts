import { nowTimestamp } from '../../api/types.js';
import { isConflict, isNotFound } from '../../client/status.js';
import type { EventRecorder } from '../../client/events/recorder.js';
import type { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import type { Logger } from '../../util/log.js';
import { claimClass, findBestMatch, isDelayBinding, isVolumeBoundToClaim, volumeSatisfiesClaim } from './match.js';
import type { Provisioner } from './provisioner.js';
import {
  ANN_BETA_STORAGE_PROVISIONER,
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_DYNAMICALLY_PROVISIONED,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
  PVCS,
  PVS,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type StorageClass,
} from './types.js';

// The decisions of upstream's PersistentVolumeController (pv_controller.go):
// syncClaim and syncVolume, each idempotent and driven from informer caches;
// every write is one API call so a conflict just re-queues the key.

export interface BinderDeps {
  client: RestClient;
  recorder: EventRecorder;
  log: Logger;
  volumes: Informer<PersistentVolume>;
  claims: Informer<PersistentVolumeClaim>;
  classes: Informer<StorageClass>;
  provisioners: ReadonlyMap<string, Provisioner>;
  /** Re-queue a claim after a volume changed. */
  queueClaim(key: string): void;
}

const yes = 'yes';

function claimKey(c: { namespace?: string; name?: string }): string {
  return `${c.namespace}/${c.name}`;
}

export class Binder {
  constructor(private readonly d: BinderDeps) {}

  private klass(name: string): StorageClass | undefined {
    return this.d.classes.store.get(name);
  }

  // ---- claims ----

  async syncClaim(claim: PersistentVolumeClaim): Promise<void> {
    if (claim.metadata.annotations?.[ANN_BIND_COMPLETED] === undefined) await this.syncUnboundClaim(claim);
    else await this.syncBoundClaim(claim);
  }

  private async syncUnboundClaim(claim: PersistentVolumeClaim): Promise<void> {
    const { recorder } = this.d;
    if (!claim.spec.volumeName) {
      const delay = isDelayBinding(claim, (n) => this.klass(n));
      const volume = findBestMatch(claim, this.d.volumes.store.list(), undefined, delay);
      if (volume) {
        await this.bind(volume, claim);
        return;
      }
      const cls = claimClass(claim);
      let latest = claim;
      if (delay && !claim.metadata.annotations?.[ANN_SELECTED_NODE]) {
        recorder.event(claim, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      } else if (cls !== '') {
        latest = await this.provisionClaim(claim, cls);
      } else {
        recorder.event(claim, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
      }
      await this.claimPhase(latest, 'Pending');
      return;
    }
    const volume = this.d.volumes.store.get(claim.spec.volumeName);
    if (!volume) {
      // The user named a volume that does not exist (yet): wait for it.
      await this.claimPhase(claim, 'Pending');
      return;
    }
    if (!volume.spec.claimRef) {
      const why = volumeSatisfiesClaim(volume, claim);
      if (why) {
        recorder.event(claim, 'Warning', 'VolumeMismatch', `Cannot bind to requested volume "${volume.metadata.name}": ${why}`);
        await this.claimPhase(claim, 'Pending');
        return;
      }
      await this.bind(volume, claim);
      return;
    }
    if (isVolumeBoundToClaim(volume, claim)) {
      await this.bind(volume, claim);
      return;
    }
    // The volume is someone else's: the claim waits until it is free.
    await this.claimPhase(claim, 'Pending');
  }

  private async syncBoundClaim(claim: PersistentVolumeClaim): Promise<void> {
    const { recorder } = this.d;
    if (!claim.spec.volumeName) {
      await this.claimPhase(claim, 'Lost');
      recorder.event(claim, 'Warning', 'ClaimLost', 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!');
      return;
    }
    const volume = this.d.volumes.store.get(claim.spec.volumeName);
    if (!volume) {
      if (claim.status?.phase !== 'Lost') {
        await this.claimPhase(claim, 'Lost');
        recorder.event(claim, 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
      }
      return;
    }
    if (!volume.spec.claimRef || isVolumeBoundToClaim(volume, claim)) {
      await this.bind(volume, claim);
      return;
    }
    if (claim.status?.phase !== 'Lost') {
      await this.claimPhase(claim, 'Lost');
      recorder.event(claim, 'Warning', 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
    }
  }

  /** Returns the claim as it now is on the server (the informer's copy is never written to). */
  private async provisionClaim(cached: PersistentVolumeClaim, cls: string): Promise<PersistentVolumeClaim> {
    const { recorder, client, log } = this.d;
    let claim = cached;
    const sc = this.klass(cls);
    if (!sc) {
      recorder.event(claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${cls}" not found`);
      return claim;
    }
    const ann = claim.metadata.annotations ?? {};
    if (ann[ANN_STORAGE_PROVISIONER] !== sc.provisioner || ann[ANN_BETA_STORAGE_PROVISIONER] !== sc.provisioner) {
      const next = structuredClone(claim);
      next.metadata.annotations = { ...ann, [ANN_STORAGE_PROVISIONER]: sc.provisioner, [ANN_BETA_STORAGE_PROVISIONER]: sc.provisioner };
      claim = await client.update<PersistentVolumeClaim>(PVCS, claim.metadata.namespace, next);
    }
    const plugin = this.d.provisioners.get(sc.provisioner);
    if (!plugin) {
      recorder.event(
        claim,
        'Normal',
        'ExternalProvisioning',
        `Waiting for a volume to be created either by the external provisioner '${sc.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
      );
      return claim;
    }
    const pvName = `pvc-${claim.metadata.uid}`;
    if (this.d.volumes.store.get(pvName)) return claim;
    try {
      await client.get(PVS, undefined, pvName);
      return claim;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    let pv: PersistentVolume;
    try {
      pv = await plugin.provision({ claim, storageClass: sc, pvName, selectedNode: claim.metadata.annotations?.[ANN_SELECTED_NODE] });
    } catch (err) {
      recorder.event(claim, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${cls}": ${(err as Error).message}`);
      throw err;
    }
    pv.metadata.name = pvName;
    pv.metadata.annotations = { ...pv.metadata.annotations, [ANN_DYNAMICALLY_PROVISIONED]: sc.provisioner, [ANN_BOUND_BY_CONTROLLER]: yes };
    pv.metadata.finalizers = [...(pv.metadata.finalizers ?? [])];
    pv.spec.claimRef = { kind: 'PersistentVolumeClaim', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid, apiVersion: 'v1', resourceVersion: claim.metadata.resourceVersion };
    pv.spec.persistentVolumeReclaimPolicy = sc.reclaimPolicy ?? 'Delete';
    pv.spec.storageClassName = cls;
    if (sc.mountOptions?.length) pv.spec.mountOptions = sc.mountOptions;
    try {
      await client.create(PVS, undefined, pv);
    } catch (err) {
      // The backing storage would be orphaned: give it back.
      await plugin.delete(pv).catch((e: Error) => log.warn({ pv: pvName, err: e.message }, 'could not remove storage of a volume that was never created'));
      throw err;
    }
    log.info({ claim: claimKey(claim.metadata), pv: pvName }, 'volume provisioned');
    recorder.event(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${pvName} using ${sc.provisioner}`);
    return claim;
  }

  /** Both halves of a binding, each step skipped when already done. */
  private async bind(volume: PersistentVolume, claim: PersistentVolumeClaim): Promise<void> {
    const { client } = this.d;
    let v = volume;
    const ref = v.spec.claimRef;
    if (!ref || ref.uid !== claim.metadata.uid || ref.name !== claim.metadata.name || ref.namespace !== claim.metadata.namespace) {
      const next = structuredClone(v);
      next.spec.claimRef = { kind: 'PersistentVolumeClaim', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid, apiVersion: 'v1', resourceVersion: claim.metadata.resourceVersion };
      if (!ref) next.metadata.annotations = { ...next.metadata.annotations, [ANN_BOUND_BY_CONTROLLER]: yes };
      v = await client.update<PersistentVolume>(PVS, undefined, next);
    }
    if (v.status?.phase !== 'Bound') v = await this.volumePhase(v, 'Bound');

    let c = claim;
    const ann = c.metadata.annotations ?? {};
    if (c.spec.volumeName !== v.metadata.name || ann[ANN_BIND_COMPLETED] !== yes) {
      const next = structuredClone(c);
      const boundByUs = !c.spec.volumeName;
      next.spec.volumeName = v.metadata.name;
      next.metadata.annotations = { ...ann, [ANN_BIND_COMPLETED]: yes, ...(boundByUs ? { [ANN_BOUND_BY_CONTROLLER]: yes } : {}) };
      c = await client.update<PersistentVolumeClaim>(PVCS, c.metadata.namespace, next);
    }
    const capacity = v.spec.capacity ?? {};
    const modes = v.spec.accessModes ?? [];
    const st = c.status ?? {};
    if (st.phase !== 'Bound' || JSON.stringify(st.capacity ?? {}) !== JSON.stringify(capacity) || JSON.stringify(st.accessModes ?? []) !== JSON.stringify(modes)) {
      const next = structuredClone(c);
      next.status = { ...st, phase: 'Bound', capacity, accessModes: modes };
      await client.updateStatus(PVCS, c.metadata.namespace, next);
      this.d.log.info({ claim: claimKey(c.metadata), pv: v.metadata.name }, 'claim bound');
    }
  }

  private async claimPhase(claim: PersistentVolumeClaim, phase: string): Promise<void> {
    if (claim.status?.phase === phase) return;
    const next = structuredClone(claim);
    next.status = { ...next.status, phase };
    if (phase !== 'Bound') {
      delete next.status.capacity;
      delete next.status.accessModes;
    }
    await this.d.client.updateStatus(PVCS, claim.metadata.namespace, next);
  }

  private async volumePhase(v: PersistentVolume, phase: string, message?: string): Promise<PersistentVolume> {
    const next = structuredClone(v);
    next.status = { phase, lastPhaseTransitionTime: nowTimestamp() };
    if (message) next.status.message = message;
    return this.d.client.updateStatus<PersistentVolume>(PVS, undefined, next);
  }

  // ---- volumes ----

  async syncVolume(volume: PersistentVolume): Promise<void> {
    const ref = volume.spec.claimRef;
    const phase = volume.status?.phase;
    if (!ref) {
      if (phase !== 'Available') await this.volumePhase(volume, 'Available');
      return;
    }
    if (!ref.uid) {
      // Pre-bound by its creator: Available until the named claim takes it.
      if (phase !== 'Available') await this.volumePhase(volume, 'Available');
      this.d.queueClaim(claimKey(ref));
      return;
    }
    let claim = this.d.claims.store.get(claimKey(ref));
    if (!claim) {
      // The cache may lag behind a claim just created: ask the server before releasing.
      try {
        claim = await this.d.client.get<PersistentVolumeClaim>(PVCS, ref.namespace, ref.name!);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (claim && claim.metadata.uid !== ref.uid) claim = undefined;
    if (!claim) {
      let v = volume;
      if (phase !== 'Released' && phase !== 'Failed') v = await this.volumePhase(volume, 'Released');
      if (v.status?.phase === 'Released') await this.reclaim(v);
      return;
    }
    if (!claim.spec.volumeName) {
      // Binding in progress (this controller or the scheduler wrote the volume half).
      this.d.queueClaim(claimKey(ref));
      return;
    }
    if (claim.spec.volumeName === volume.metadata.name) {
      if (phase !== 'Bound') await this.volumePhase(volume, 'Bound');
      return;
    }
    // The claim went to another volume: free this one.
    const next = structuredClone(volume);
    if (volume.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER] === yes) {
      next.spec.claimRef = null;
      delete next.metadata.annotations![ANN_BOUND_BY_CONTROLLER];
    } else next.spec.claimRef = { ...ref, uid: '' };
    const updated = await this.d.client.update<PersistentVolume>(PVS, undefined, next);
    await this.volumePhase(updated, 'Available');
  }

  private async reclaim(v: PersistentVolume): Promise<void> {
    const { recorder, client, log } = this.d;
    const policy = v.spec.persistentVolumeReclaimPolicy ?? 'Retain';
    if (policy === 'Retain') return;
    if (policy === 'Recycle') {
      recorder.event(v, 'Warning', 'VolumeFailedRecycle', 'No recycler plugin found for the volume!');
      await this.volumePhase(v, 'Failed', 'No recycler plugin found for the volume!');
      return;
    }
    const by = v.metadata.annotations?.[ANN_DYNAMICALLY_PROVISIONED];
    const plugin = by ? this.d.provisioners.get(by) : undefined;
    if (!plugin) {
      if (by) return; // An external provisioner deletes what it made.
      const msg = `error getting deleter volume plugin for volume "${v.metadata.name}": no deletable volume plugin matched`;
      recorder.event(v, 'Warning', 'VolumeFailedDelete', msg);
      await this.volumePhase(v, 'Failed', msg);
      return;
    }
    // Our own Released write queues the volume again while its storage is
    // being removed, and the next pass may still see the informer's copy of a
    // volume already deleted. Ask the server first, as upstream's
    // deleteVolumeOperation does, so storage is never removed twice.
    let live: PersistentVolume;
    try {
      live = await client.get<PersistentVolume>(PVS, undefined, v.metadata.name!);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (live.metadata.uid !== v.metadata.uid || live.metadata.deletionTimestamp || live.status?.phase !== 'Released') return;
    try {
      await plugin.delete(v);
    } catch (err) {
      recorder.event(v, 'Warning', 'VolumeFailedDelete', (err as Error).message);
      throw err;
    }
    try {
      await client.delete(PVS, undefined, v.metadata.name!, { preconditions: { uid: v.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
    log.info({ pv: v.metadata.name }, 'released volume deleted');
  }
}
