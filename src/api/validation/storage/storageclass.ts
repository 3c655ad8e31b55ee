// storage.k8s.io/v1 StorageClass, as upstream's ValidateStorageClass and
// ValidateStorageClassUpdate.

import type { KubeObject } from '../../types.js';
import { forbidden, notSupported, required, type FieldError } from '../field.js';
import { semanticEqual, str } from '../util.js';

const RECLAIM = ['Delete', 'Retain'];
const BINDING = ['Immediate', 'WaitForFirstConsumer'];

export function validateStorageClass(obj: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const provisioner = str(obj.provisioner);
  if (!provisioner) errs.push(required('provisioner'));
  const reclaim = obj.reclaimPolicy;
  if (typeof reclaim === 'string' && !RECLAIM.includes(reclaim)) errs.push(notSupported('reclaimPolicy', reclaim, RECLAIM));
  const mode = obj.volumeBindingMode;
  if (mode === undefined || mode === null) errs.push(required('volumeBindingMode'));
  else if (typeof mode !== 'string' || !BINDING.includes(mode)) errs.push(notSupported('volumeBindingMode', mode, BINDING));
  if (old) {
    if (!semanticEqual(obj.parameters ?? {}, old.parameters ?? {})) errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
    if (obj.provisioner !== old.provisioner) errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
    if (obj.reclaimPolicy !== old.reclaimPolicy) errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    if (obj.volumeBindingMode !== old.volumeBindingMode) errs.push(forbidden('volumeBindingMode', 'field is immutable'));
  }
  return errs;
}
