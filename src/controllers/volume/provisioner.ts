import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from './types.js';

// The seam for provisioners the binder runs itself (upstream's in-tree
// ProvisionableVolumePlugin / DeletableVolumePlugin). A class whose
// provisioner is not listed here is external: the binder only annotates the
// claim and waits for whoever serves that name (the kubelet's local-path
// provisioner) to create the volume.

export interface ProvisionRequest {
  claim: PersistentVolumeClaim;
  storageClass: StorageClass;
  /** The PV's name: pvc-<claim uid>, as upstream. */
  pvName: string;
  selectedNode?: string;
}

export interface Provisioner {
  /** The StorageClass provisioner name it serves. */
  readonly name: string;
  /** Creates the backing storage and returns the PV to create (metadata.name = pvName). */
  provision(req: ProvisionRequest): Promise<PersistentVolume>;
  /** Removes the backing storage of a released volume with reclaim policy Delete. */
  delete(pv: PersistentVolume): Promise<void>;
  /** Grows the backing storage; absent when the backend cannot. */
  expand?(pv: PersistentVolume, size: string): Promise<void>;
}
