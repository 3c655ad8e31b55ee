// Cluster events that can make an unschedulable pod schedulable, as
// upstream's framework.ClusterEvent. "AssignedPod" is a pod bound to a node
// (what frees or takes resources); "Pod" alone is the pending pod itself.

export type EventResource = 'Node' | 'AssignedPod' | 'Pod' | 'Namespace' | 'PersistentVolumeClaim' | 'PersistentVolume' | 'StorageClass' | '*';
export type EventAction = 'Add' | 'Update' | 'Delete' | '*';

export interface ClusterEvent {
  resource: EventResource;
  action: EventAction;
}

export function eventLabel(e: ClusterEvent): string {
  return `${e.resource}${e.action}`;
}

export function eventMatches(registered: ClusterEvent, happened: ClusterEvent): boolean {
  return (registered.resource === '*' || registered.resource === happened.resource) && (registered.action === '*' || registered.action === happened.action);
}

export const NODE_ADD: ClusterEvent = { resource: 'Node', action: 'Add' };
export const NODE_UPDATE: ClusterEvent = { resource: 'Node', action: 'Update' };
export const NODE_DELETE: ClusterEvent = { resource: 'Node', action: 'Delete' };
export const ASSIGNED_POD_ADD: ClusterEvent = { resource: 'AssignedPod', action: 'Add' };
export const ASSIGNED_POD_UPDATE: ClusterEvent = { resource: 'AssignedPod', action: 'Update' };
export const ASSIGNED_POD_DELETE: ClusterEvent = { resource: 'AssignedPod', action: 'Delete' };
export const POD_UPDATE: ClusterEvent = { resource: 'Pod', action: 'Update' };
export const NAMESPACE_ANY: ClusterEvent = { resource: 'Namespace', action: '*' };
export const PVC_ANY: ClusterEvent = { resource: 'PersistentVolumeClaim', action: '*' };
export const PV_ANY: ClusterEvent = { resource: 'PersistentVolume', action: '*' };
export const STORAGECLASS_ANY: ClusterEvent = { resource: 'StorageClass', action: '*' };
/** The periodic flush of pods left unschedulable too long. */
export const UNSCHEDULABLE_TIMEOUT: ClusterEvent = { resource: '*', action: '*' };
