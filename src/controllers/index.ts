import type { ControllerDescriptor } from './types.js';
import { workloadControllers } from './workloads.js';
import { namespaceController } from './namespace/controller.js';
import { garbageCollectorController } from './garbagecollector/controller.js';
import { serviceAccountController } from './serviceaccount/controller.js';
import { nodeLifecycleController } from './nodelifecycle/controller.js';
import { taintEvictionController } from './nodelifecycle/taint-eviction.js';
import { nodeIpamController } from './nodeipam/controller.js';
import { endpointsController } from './endpoint/controller.js';
import { endpointSliceController } from './endpointslice/controller.js';
import { podGcController } from './podgc/controller.js';
import { rootCaCertPublisher } from './rootcacertpublisher/controller.js';
import { persistentVolumeBinderController } from './volume/controller.js';
import { pvcProtectionController, pvProtectionController } from './volume/protection.js';
import { horizontalPodAutoscalerController } from './podautoscaler/controller.js';
import { csrApprovingController } from './certificates/approver.js';
import { csrSigningController } from './certificates/signer.js';
import { csrCleanerController } from './certificates/cleaner.js';
import { bootstrapSignerController } from './bootstrap/signer.js';
import { tokenCleanerController } from './bootstrap/tokencleaner.js';

// The registry of controllers the manager can run, in start order.

export const coreControllers: readonly ControllerDescriptor[] = [
  serviceAccountController,
  namespaceController,
  garbageCollectorController,
  nodeIpamController,
  nodeLifecycleController,
  taintEvictionController,
  endpointsController,
  endpointSliceController,
  podGcController,
  rootCaCertPublisher,
  persistentVolumeBinderController,
  pvcProtectionController,
  pvProtectionController,
  horizontalPodAutoscalerController,
  csrApprovingController,
  csrSigningController,
  csrCleanerController,
  bootstrapSignerController,
  tokenCleanerController,
];

export function allControllers(): ControllerDescriptor[] {
  return [...coreControllers, ...workloadControllers];
}

export type { ControllerDescriptor, ControllerContext, ControllerManagerOptions, RunningController } from './types.js';
