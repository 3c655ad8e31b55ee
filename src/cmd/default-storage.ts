import { RestClient } from '../client/rest.js';
import type { ClientConfig } from '../client/kubeconfig.js';
import { isAlreadyExists } from '../client/status.js';
import { LOCAL_PATH_PROVISIONER, STORAGECLASSES } from '../controllers/volume/types.js';
import { progress } from './progress.js';

// `k8ts server` makes a PVC work out of the box, as k3s does: a default
// StorageClass "local-path" served by each kubelet's local-path provisioner,
// bound once the scheduler has picked the pod's node. An existing class of
// that name (perhaps edited by its owner) is left alone.

export async function ensureDefaultStorageClass(admin: ClientConfig): Promise<void> {
  const client = new RestClient(admin, { component: 'k8ts-server' });
  try {
    await client.create(STORAGECLASSES, undefined, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: LOCAL_PATH_PROVISIONER,
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
    });
    progress('default StorageClass local-path created');
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  } finally {
    client.close();
  }
}
