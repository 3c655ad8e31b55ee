import type { KubeObject } from '../../api/types.js';
import { resourceFor, type ResourceInfo } from '../../api/scheme/resources.js';
import type { NodeSelectorTerm } from '../../scheduler/framework/types.js';

// The storage objects as the binder, the protection controllers, the
// provisioners and the scheduler's VolumeBinding plugin read them, and
// upstream's annotation names (pv_controller.go, volume/util).

export interface ObjectRef {
  kind?: string;
  apiVersion?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface PersistentVolume extends KubeObject {
  spec: {
    capacity?: Record<string, string>;
    accessModes?: string[];
    claimRef?: ObjectRef | null;
    persistentVolumeReclaimPolicy?: string;
    storageClassName?: string;
    volumeMode?: string;
    mountOptions?: string[];
    nodeAffinity?: { required?: { nodeSelectorTerms?: NodeSelectorTerm[] } };
    hostPath?: { path: string; type?: string };
    local?: { path: string; fsType?: string };
    nfs?: { server: string; path: string; readOnly?: boolean };
    glusterfs?: { endpoints: string; endpointsNamespace?: string; path: string; readOnly?: boolean };
    [k: string]: unknown;
  };
  status?: { phase?: string; message?: string; reason?: string; lastPhaseTransitionTime?: string };
}

export interface PersistentVolumeClaim extends KubeObject {
  spec: {
    accessModes?: string[];
    selector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | null;
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    volumeName?: string;
    storageClassName?: string | null;
    volumeMode?: string;
  };
  status?: {
    phase?: string;
    accessModes?: string[];
    capacity?: Record<string, string>;
    conditions?: { type: string; status: string; lastTransitionTime?: string; reason?: string; message?: string }[];
    allocatedResources?: Record<string, string>;
  };
}

export interface StorageClass extends KubeObject {
  provisioner: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: string;
  mountOptions?: string[];
  allowVolumeExpansion?: boolean;
  volumeBindingMode?: string;
  allowedTopologies?: unknown[];
}

function must(group: string, version: string, resource: string): ResourceInfo {
  const info = resourceFor(group, version, resource);
  if (!info) throw new Error(`resource ${group}/${version}/${resource} is not registered`);
  return info;
}

export const PVS = must('', 'v1', 'persistentvolumes');
export const PVCS = must('', 'v1', 'persistentvolumeclaims');
export const STORAGECLASSES = must('storage.k8s.io', 'v1', 'storageclasses');

export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
export const ANN_DYNAMICALLY_PROVISIONED = 'pv.kubernetes.io/provisioned-by';
export const ANN_BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';
export const ANN_DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
export const ANN_BETA_DEFAULT_CLASS = 'storageclass.beta.kubernetes.io/is-default-class';

export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

export const WAIT_FOR_FIRST_CONSUMER = 'WaitForFirstConsumer';

/** Our provisioners' names. */
export const LOCAL_PATH_PROVISIONER = 'k8ts.io/local-path';
export const GLUSTERFS_PROVISIONER = 'k8ts.io/glusterfs';
/** The node whose disk holds a local-path volume; its PV is pinned to that node by this label. */
export const ANN_LOCAL_PATH_NODE = 'k8ts.io/local-path-node';
export const LOCAL_PATH_HOSTNAME_LABEL = 'kubernetes.io/hostname';
