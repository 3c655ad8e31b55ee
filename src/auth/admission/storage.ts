import type { KubeObject } from '../../api/types.js';
import { resourceFor } from '../../api/scheme/resources.js';
import { parseQuantity } from '../../api/quantity.js';
import { admissionForbidden, type AdmissionAttributes, type AdmissionContext } from './types.js';

// Three storage admission plugins of upstream: DefaultStorageClass (a claim
// without a class gets the default one), StorageObjectInUseProtection (new
// claims and volumes get their protection finalizer) and
// PersistentVolumeClaimResize (a claim may grow only if its class allows it).

const STORAGECLASSES = resourceFor('storage.k8s.io', 'v1', 'storageclasses')!;
const BETA_CLASS = 'volume.beta.kubernetes.io/storage-class';

function isPvc(a: AdmissionAttributes): boolean {
  return a.group === '' && a.resource === 'persistentvolumeclaims' && !a.subresource;
}

interface StorageClassObj extends KubeObject {
  allowVolumeExpansion?: boolean;
}

function isDefault(sc: KubeObject): boolean {
  const a = sc.metadata.annotations ?? {};
  return a['storageclass.kubernetes.io/is-default-class'] === 'true' || a['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
}

export async function admitDefaultStorageClass(a: AdmissionAttributes, obj: KubeObject | undefined, _old: KubeObject | undefined, ctx: AdmissionContext): Promise<void> {
  if (a.operation !== 'CREATE' || !isPvc(a) || !obj) return;
  const spec = (obj.spec ?? {}) as { storageClassName?: string | null };
  if (spec.storageClassName !== undefined && spec.storageClassName !== null) return;
  if (obj.metadata.annotations?.[BETA_CLASS] !== undefined) return;
  const classes = (await ctx.registry.storeFor(STORAGECLASSES).list({})).items.filter(isDefault);
  if (classes.length === 0) return;
  // Several defaults: the newest wins, as upstream's GetDefaultClass since 1.26.
  classes.sort((x, y) => (y.metadata.creationTimestamp ?? '').localeCompare(x.metadata.creationTimestamp ?? '') || (x.metadata.name ?? '').localeCompare(y.metadata.name ?? ''));
  obj.spec = { ...spec, storageClassName: classes[0]!.metadata.name };
}

export async function admitStorageObjectInUseProtection(a: AdmissionAttributes, obj: KubeObject | undefined): Promise<void> {
  if (a.operation !== 'CREATE' || a.group !== '' || a.subresource || !obj) return;
  const finalizer = a.resource === 'persistentvolumeclaims' ? 'kubernetes.io/pvc-protection' : a.resource === 'persistentvolumes' ? 'kubernetes.io/pv-protection' : undefined;
  if (!finalizer) return;
  const f = obj.metadata.finalizers ?? [];
  if (!f.includes(finalizer)) obj.metadata.finalizers = [...f, finalizer];
}

export async function validatePersistentVolumeClaimResize(a: AdmissionAttributes, obj: KubeObject | undefined, old: KubeObject | undefined, ctx: AdmissionContext): Promise<void> {
  if (a.operation !== 'UPDATE' || !isPvc(a) || !obj || !old) return;
  const want = (obj.spec as { resources?: { requests?: { storage?: string } } } | undefined)?.resources?.requests?.storage;
  const had = (old.spec as { resources?: { requests?: { storage?: string } } } | undefined)?.resources?.requests?.storage;
  if (!want || !had) return;
  let grows = false;
  try {
    grows = parseQuantity(want).cmp(parseQuantity(had)) > 0;
  } catch {
    return; // validation reports the bad quantity
  }
  if (!grows) return;
  if ((old.status as { phase?: string } | undefined)?.phase !== 'Bound') throw admissionForbidden(a, 'Only bound persistent volume claims can be expanded');
  const cls = (old.metadata.annotations?.[BETA_CLASS] ?? (old.spec as { storageClassName?: string }).storageClassName) || '';
  let allowed = false;
  if (cls) {
    const sc = (await ctx.registry.storeFor(STORAGECLASSES).list({})).items.find((s) => s.metadata.name === cls) as StorageClassObj | undefined;
    allowed = sc?.allowVolumeExpansion === true;
  }
  if (!allowed) throw admissionForbidden(a, 'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize');
}
