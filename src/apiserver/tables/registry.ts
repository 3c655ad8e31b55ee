// Which printer serves which resource, keyed by group and plural resource
// name, as upstream wires a TableConvertor into each resource's storage.

import type { ResourceInfo } from '../../api/scheme/resources.js';
import { defaultPrinter } from './default-table.js';
import type { Printer } from './model.js';
import { horizontalPodAutoscalerPrinter } from './printers/autoscaling.js';
import { cronJobPrinter, jobPrinter } from './printers/batch.js';
import { configMapPrinter, namespacePrinter, resourceQuotaPrinter, secretPrinter, serviceAccountPrinter } from './printers/config.js';
import { coreEventPrinter, eventsV1Printer } from './printers/events.js';
import { leasePrinter } from './printers/leases.js';
import { flowSchemaPrinter, priorityLevelConfigurationPrinter } from './printers/flowcontrol.js';
import { certificateSigningRequestPrinter } from './printers/certificates.js';
import { endpointSlicePrinter, endpointsPrinter, servicePrinter } from './printers/networking.js';
import { nodePrinter } from './printers/nodes.js';
import { podPrinter } from './printers/pods.js';
import { podDisruptionBudgetPrinter, priorityClassPrinter } from './printers/policy.js';
import { persistentVolumeClaimPrinter, persistentVolumePrinter, storageClassPrinter } from './printers/storage.js';
import {
  controllerRevisionPrinter,
  daemonSetPrinter,
  deploymentPrinter,
  replicaSetPrinter,
  replicationControllerPrinter,
  statefulSetPrinter,
} from './printers/workloads.js';

const PRINTERS = new Map<string, Printer>([
  ['/pods', podPrinter],
  ['/nodes', nodePrinter],
  ['/namespaces', namespacePrinter],
  ['/services', servicePrinter],
  ['/endpoints', endpointsPrinter],
  ['/events', coreEventPrinter],
  ['/configmaps', configMapPrinter],
  ['/secrets', secretPrinter],
  ['/serviceaccounts', serviceAccountPrinter],
  ['/persistentvolumes', persistentVolumePrinter],
  ['/persistentvolumeclaims', persistentVolumeClaimPrinter],
  ['storage.k8s.io/storageclasses', storageClassPrinter],
  ['/replicationcontrollers', replicationControllerPrinter],
  ['/resourcequotas', resourceQuotaPrinter],
  ['apps/deployments', deploymentPrinter],
  ['apps/replicasets', replicaSetPrinter],
  ['apps/daemonsets', daemonSetPrinter],
  ['apps/statefulsets', statefulSetPrinter],
  ['apps/controllerrevisions', controllerRevisionPrinter],
  ['batch/jobs', jobPrinter],
  ['batch/cronjobs', cronJobPrinter],
  ['coordination.k8s.io/leases', leasePrinter],
  ['discovery.k8s.io/endpointslices', endpointSlicePrinter],
  ['events.k8s.io/events', eventsV1Printer],
  ['policy/poddisruptionbudgets', podDisruptionBudgetPrinter],
  ['scheduling.k8s.io/priorityclasses', priorityClassPrinter],
  ['flowcontrol.apiserver.k8s.io/flowschemas', flowSchemaPrinter],
  ['flowcontrol.apiserver.k8s.io/prioritylevelconfigurations', priorityLevelConfigurationPrinter],
  ['autoscaling/horizontalpodautoscalers', horizontalPodAutoscalerPrinter],
  ['certificates.k8s.io/certificatesigningrequests', certificateSigningRequestPrinter],
]);

/** The printer for a resource; limitranges and anything unlisted get the default NAME / CREATED AT table. */
export function printerFor(info: Pick<ResourceInfo, 'group' | 'resource'>): Printer {
  return PRINTERS.get(`${info.group}/${info.resource}`) ?? defaultPrinter;
}

export function hasCustomPrinter(info: Pick<ResourceInfo, 'group' | 'resource'>): boolean {
  return PRINTERS.has(`${info.group}/${info.resource}`);
}
