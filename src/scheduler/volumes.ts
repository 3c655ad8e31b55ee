import type { RestClient } from '../client/rest.js';
import { Informer } from '../client/informer.js';
import { ANN_BOUND_BY_CONTROLLER, ANN_SELECTED_NODE, PVCS, PVS, STORAGECLASSES, type PersistentVolume, type PersistentVolumeClaim, type StorageClass } from '../controllers/volume/types.js';
import type { VolumeAccess } from './framework/interface.js';

// What the VolumeBinding plugin reads (claims, volumes and classes from
// informer caches) and the two writes of the scheduler's volume binder.

export class SchedulerVolumes implements VolumeAccess {
  readonly claims: Informer<PersistentVolumeClaim>;
  readonly pvs: Informer<PersistentVolume>;
  readonly classes: Informer<StorageClass>;

  constructor(private readonly client: RestClient) {
    this.claims = new Informer<PersistentVolumeClaim>(client, PVCS);
    this.pvs = new Informer<PersistentVolume>(client, PVS);
    this.classes = new Informer<StorageClass>(client, STORAGECLASSES);
  }

  claim(namespace: string, name: string): PersistentVolumeClaim | undefined {
    return this.claims.store.get(`${namespace}/${name}`);
  }

  volumes(): PersistentVolume[] {
    return this.pvs.store.list();
  }

  volume(name: string): PersistentVolume | undefined {
    return this.pvs.store.get(name);
  }

  storageClass(name: string): StorageClass | undefined {
    return name ? this.classes.store.get(name) : undefined;
  }

  async bindVolume(volume: PersistentVolume, claim: PersistentVolumeClaim): Promise<void> {
    const ref = volume.spec.claimRef;
    if (ref?.uid === claim.metadata.uid) return;
    const next = structuredClone(volume);
    next.spec.claimRef = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid, resourceVersion: claim.metadata.resourceVersion };
    next.metadata.annotations = { ...next.metadata.annotations, [ANN_BOUND_BY_CONTROLLER]: 'yes' };
    await this.client.update(PVS, undefined, next);
  }

  async selectNode(claim: PersistentVolumeClaim, node: string): Promise<void> {
    await this.client.patch(PVCS, claim.metadata.namespace, claim.metadata.name!, 'merge', { metadata: { annotations: { [ANN_SELECTED_NODE]: node } } });
  }

  start(): void {
    this.claims.start();
    this.pvs.start();
    this.classes.start();
  }

  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    return (await this.claims.waitForSync(signal)) && (await this.pvs.waitForSync(signal)) && (await this.classes.waitForSync(signal));
  }

  async stop(): Promise<void> {
    await Promise.all([this.claims.stop(), this.pvs.stop(), this.classes.stop()]);
  }
}
