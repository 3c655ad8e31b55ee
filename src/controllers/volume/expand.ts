import { parseQuantity } from '../../api/quantity.js';
import type { EventRecorder } from '../../client/events/recorder.js';
import type { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import { claimClass } from './match.js';
import type { Provisioner } from './provisioner.js';
import { ANN_DYNAMICALLY_PROVISIONED, LOCAL_PATH_PROVISIONER, PVCS, PVS, type PersistentVolume, type PersistentVolumeClaim, type StorageClass } from './types.js';

// Volume expansion for our provisioners (upstream's expand controller and
// external-resizer in one step): admission lets a bound claim ask for more
// only when its class allows expansion; the backend grows, then the PV's
// capacity and the claim's status follow. Our volumes are directories with
// no file system of their own, so no node-side resize step is left over.

export interface ExpandDeps {
  client: RestClient;
  recorder: EventRecorder;
  volumes: Informer<PersistentVolume>;
  classes: Informer<StorageClass>;
  provisioners: ReadonlyMap<string, Provisioner>;
}

export async function expandClaim(d: ExpandDeps, claim: PersistentVolumeClaim): Promise<void> {
  if (claim.status?.phase !== 'Bound' || !claim.spec.volumeName) return;
  const want = claim.spec.resources?.requests?.storage;
  const have = claim.status.capacity?.storage;
  if (!want || !have || parseQuantity(want).cmp(parseQuantity(have)) <= 0) return;
  const sc = d.classes.store.get(claimClass(claim));
  if (!sc?.allowVolumeExpansion) return;
  const pv = d.volumes.store.get(claim.spec.volumeName);
  if (!pv) return;
  const by = pv.metadata.annotations?.[ANN_DYNAMICALLY_PROVISIONED] ?? '';
  const plugin = d.provisioners.get(by);
  if (by !== LOCAL_PATH_PROVISIONER && !plugin?.expand) return;
  d.recorder.event(claim, 'Normal', 'Resizing', `External resizer is resizing volume ${pv.metadata.name}`);
  try {
    await plugin?.expand?.(pv, want);
  } catch (err) {
    d.recorder.event(claim, 'Warning', 'VolumeResizeFailed', `resize volume "${pv.metadata.name}" by resizer "${by}" failed: ${(err as Error).message}`);
    throw err;
  }
  if (parseQuantity(pv.spec.capacity?.storage ?? '0').cmp(parseQuantity(want)) < 0) {
    const next = structuredClone(pv);
    next.spec.capacity = { ...next.spec.capacity, storage: want };
    await d.client.update(PVS, undefined, next);
  }
  const c = structuredClone(claim);
  c.status = { ...c.status, capacity: { ...c.status!.capacity, storage: want }, allocatedResources: { ...c.status!.allocatedResources, storage: want } };
  await d.client.updateStatus(PVCS, claim.metadata.namespace, c);
  d.recorder.event(claim, 'Normal', 'VolumeResizeSuccessful', 'Resize volume succeeded');
}
