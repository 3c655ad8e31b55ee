import type { ResourceInfo } from '../../api/scheme/resources.js';
import type { KubeObject } from '../../api/types.js';
import { badRequest } from '../../api/errors.js';
import { formatLabelSelector, fromMetaSelector } from '../../api/selectors/labels.js';

// The scale subresource (autoscaling/v1 Scale) of deployments, replica sets,
// stateful sets and replication controllers.

export function scaleOf(info: ResourceInfo, obj: KubeObject): Record<string, unknown> {
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: any };
  const status = (obj.status ?? {}) as { replicas?: number };
  let selector = '';
  if (spec.selector) {
    selector = info.resource === 'replicationcontrollers' ? formatLabelSelector(fromMetaSelector({ matchLabels: spec.selector })) : formatLabelSelector(fromMetaSelector(spec.selector));
  }
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, ...(selector ? { selector } : {}) },
  };
}

/** Applies a Scale body to the object; returns the new replica count. */
export function applyScale(obj: KubeObject, scale: any): void {
  const replicas = scale?.spec?.replicas;
  if (replicas === undefined) return;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw badRequest(`spec.replicas must be a non-negative integer, got ${JSON.stringify(replicas)}`);
  }
  const spec = (obj.spec ?? {}) as { replicas?: number };
  spec.replicas = replicas;
  obj.spec = spec;
  if (scale?.metadata?.resourceVersion) obj.metadata.resourceVersion = scale.metadata.resourceVersion;
}
