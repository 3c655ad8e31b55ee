import type { ControllerDescriptor } from '../../../src/controllers/types.js';
import { startHarness, type Harness } from '../workloads/harness.js';

// The workloads harness over a secure API server: the storage admission
// plugins (DefaultStorageClass, StorageObjectInUseProtection,
// PersistentVolumeClaimResize) run only in the authenticated chain.

export function startSecureHarness(controllers: ControllerDescriptor[]): Promise<Harness> {
  return startHarness(controllers, {}, { secure: true });
}
