import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EventRecorder } from '../../client/events/recorder.js';
import { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import { isAlreadyExists, isNotFound } from '../../client/status.js';
import { KeyWorker } from '../../controllers/shared/worker.js';
import {
  ANN_DYNAMICALLY_PROVISIONED,
  ANN_LOCAL_PATH_NODE,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
  LOCAL_PATH_HOSTNAME_LABEL,
  LOCAL_PATH_PROVISIONER,
  PVCS,
  PVS,
  STORAGECLASSES,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type StorageClass,
} from '../../controllers/volume/types.js';
import { claimClass } from '../../controllers/volume/match.js';
import type { Logger } from '../../util/log.js';

// The node half of the local-path class (as k3s's local-path-provisioner,
// an external provisioner): the kubelet of the node the scheduler picked
// (volume.kubernetes.io/selected-node) makes a directory under its own data
// dir and creates a hostPath PV pinned to this node; when such a PV is
// released with reclaim policy Delete, the same kubelet removes the
// directory and the PV. The mkdir and the rm run here because the disk is here.

export interface LocalPathOptions {
  client: RestClient;
  nodeName: string;
  /** Where claim directories go: <kubelet root>/storage. */
  dataDir: string;
  log: Logger;
}

export interface RunningProvisioner {
  stop(): Promise<void>;
}

function dirFor(dataDir: string, pvName: string, c: { namespace?: string; name?: string }): string {
  return join(dataDir, `${pvName}_${c.namespace}_${c.name}`);
}

export function startLocalPathProvisioner(o: LocalPathOptions): RunningProvisioner {
  const claims = new Informer<PersistentVolumeClaim>(o.client, PVCS);
  const volumes = new Informer<PersistentVolume>(o.client, PVS);
  const classes = new Informer<StorageClass>(o.client, STORAGECLASSES);
  const recorder = new EventRecorder(o.client, { component: `${LOCAL_PATH_PROVISIONER}_${o.nodeName}`, host: o.nodeName });
  const dataDir = resolve(o.dataDir);

  const provision = async (key: string): Promise<void> => {
    const c = claims.store.get(key);
    if (!c || c.metadata.deletionTimestamp || c.spec.volumeName) return;
    const ann = c.metadata.annotations ?? {};
    if (ann[ANN_STORAGE_PROVISIONER] !== LOCAL_PATH_PROVISIONER || ann[ANN_SELECTED_NODE] !== o.nodeName) return;
    const sc = classes.store.get(claimClass(c));
    if (!sc || sc.provisioner !== LOCAL_PATH_PROVISIONER) return;
    const pvName = `pvc-${c.metadata.uid}`;
    if (volumes.store.get(pvName)) return;
    recorder.event(c, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${key}"`);
    const path = dirFor(dataDir, pvName, c.metadata);
    await mkdir(path, { recursive: true, mode: 0o777 });
    const pv: PersistentVolume = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: pvName, annotations: { [ANN_DYNAMICALLY_PROVISIONED]: LOCAL_PATH_PROVISIONER, [ANN_LOCAL_PATH_NODE]: o.nodeName } },
      spec: {
        capacity: { storage: c.spec.resources?.requests?.storage ?? '1Gi' },
        accessModes: c.spec.accessModes ?? ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
        storageClassName: sc.metadata.name,
        volumeMode: c.spec.volumeMode ?? 'Filesystem',
        hostPath: { path, type: 'DirectoryOrCreate' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: LOCAL_PATH_HOSTNAME_LABEL, operator: 'In', values: [o.nodeName] }] }] } },
        claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: c.metadata.namespace, name: c.metadata.name, uid: c.metadata.uid, resourceVersion: c.metadata.resourceVersion },
        ...(sc.mountOptions?.length ? { mountOptions: sc.mountOptions } : {}),
      },
    };
    try {
      await o.client.create(PVS, undefined, pv);
    } catch (err) {
      if (!isAlreadyExists(err)) {
        recorder.event(c, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${sc.metadata.name}": ${(err as Error).message}`);
        throw err;
      }
    }
    o.log.info({ claim: key, pv: pvName, path }, 'local-path volume provisioned');
    recorder.event(c, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${pvName}`);
  };

  const reclaim = async (name: string): Promise<void> => {
    const v = volumes.store.get(name);
    if (!v || v.metadata.annotations?.[ANN_DYNAMICALLY_PROVISIONED] !== LOCAL_PATH_PROVISIONER) return;
    if (v.metadata.annotations?.[ANN_LOCAL_PATH_NODE] !== o.nodeName) return;
    if (v.status?.phase !== 'Released' || v.spec.persistentVolumeReclaimPolicy !== 'Delete') return;
    const path = v.spec.hostPath?.path;
    // Only ever a directory this provisioner made under its own data dir.
    if (path && resolve(path).startsWith(`${dataDir}/`)) await rm(path, { recursive: true, force: true });
    try {
      await o.client.delete(PVS, undefined, name, { preconditions: { uid: v.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    o.log.info({ pv: name, path }, 'local-path volume deleted');
  };

  const worker = new KeyWorker({
    name: 'local-path-provisioner',
    workers: 1,
    sync: (key) => (key.startsWith('pv:') ? reclaim(key.slice(3)) : provision(key.slice(4))),
  });
  const qc = (c: PersistentVolumeClaim): void => worker.add(`pvc:${c.metadata.namespace}/${c.metadata.name}`);
  const qv = (v: PersistentVolume): void => worker.add(`pv:${v.metadata.name}`);
  claims.addEventHandler({ onAdd: qc, onUpdate: (_o, c) => qc(c) });
  volumes.addEventHandler({ onAdd: qv, onUpdate: (_o, v) => qv(v) });
  worker.run([claims, volumes, classes]);
  return {
    async stop() {
      await worker.stop();
      await Promise.all([claims.stop(), volumes.stop(), classes.stop()]);
      await recorder.shutdown();
    },
  };
}
