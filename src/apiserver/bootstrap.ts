import { resourceFor } from '../api/scheme/resources.js';
import { StatusError } from '../api/errors.js';
import type { Registry } from './handlers/context.js';
import { logger } from '../util/log.js';
import { SYSTEM_PRIORITY_CLASSES } from '../api/validation/scheduling/priorityclass.js';

const log = logger('apiserver');

/** The namespaces every cluster has from the start. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function ensureSystemNamespaces(registry: Registry): Promise<void> {
  const store = registry.storeFor(resourceFor('', 'v1', 'namespaces')!);
  for (const name of SYSTEM_NAMESPACES) {
    try {
      await store.create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } });
      log.info({ namespace: name }, 'created system namespace');
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 409)) throw err;
    }
  }
}

/** The two system PriorityClasses, created when missing as upstream's scheduling REST storage does at start. */
export async function ensureSystemPriorityClasses(registry: Registry): Promise<void> {
  const store = registry.storeFor(resourceFor('scheduling.k8s.io', 'v1', 'priorityclasses')!);
  for (const pc of SYSTEM_PRIORITY_CLASSES) {
    try {
      await store.create(undefined, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: pc.name }, value: pc.value, description: pc.description, preemptionPolicy: 'PreemptLowerPriority' } as never);
      log.info({ priorityClass: pc.name }, 'created system priority class');
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 409)) throw err;
    }
  }
}
