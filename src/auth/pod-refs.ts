import type { KubeObject } from '../api/types.js';

// The objects a pod names, as upstream's podutil.VisitPodSecretNames /
// VisitPodConfigmapNames: what the Node authorizer lets that pod's kubelet read.

export interface PodRefs {
  secrets: Set<string>;
  configMaps: Set<string>;
  pvcs: Set<string>;
  serviceAccount?: string;
}

type Obj = Record<string, any>;

function containersOf(spec: Obj): Obj[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
}

export function podRefs(pod: KubeObject): PodRefs {
  const spec = (pod.spec ?? {}) as Obj;
  const secrets = new Set<string>();
  const configMaps = new Set<string>();
  const pvcs = new Set<string>();
  const addSecret = (n: unknown) => typeof n === 'string' && n && secrets.add(n);
  const addConfigMap = (n: unknown) => typeof n === 'string' && n && configMaps.add(n);
  for (const s of spec.imagePullSecrets ?? []) addSecret(s?.name);
  for (const c of containersOf(spec)) {
    for (const e of c?.envFrom ?? []) {
      addSecret(e?.secretRef?.name);
      addConfigMap(e?.configMapRef?.name);
    }
    for (const e of c?.env ?? []) {
      addSecret(e?.valueFrom?.secretKeyRef?.name);
      addConfigMap(e?.valueFrom?.configMapKeyRef?.name);
    }
  }
  for (const v of spec.volumes ?? []) {
    if (!v) continue;
    addSecret(v.secret?.secretName);
    addConfigMap(v.configMap?.name);
    for (const src of v.projected?.sources ?? []) {
      addSecret(src?.secret?.name);
      addConfigMap(src?.configMap?.name);
    }
    for (const k of ['azureFile']) addSecret(v[k]?.secretName);
    for (const k of ['cephfs', 'cinder', 'flexVolume', 'rbd', 'scaleIO', 'storageos', 'iscsi']) addSecret(v[k]?.secretRef?.name);
    addSecret(v.csi?.nodePublishSecretRef?.name);
    if (v.persistentVolumeClaim?.claimName) pvcs.add(v.persistentVolumeClaim.claimName);
    if (v.ephemeral) pvcs.add(`${pod.metadata.name}-${v.name}`);
  }
  return { secrets, configMaps, pvcs, serviceAccount: spec.serviceAccountName || spec.serviceAccount || undefined };
}
