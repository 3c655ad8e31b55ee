import { resourceFor, type ResourceInfo } from '../../api/scheme/resources.js';

// The resources the workload controllers touch, resolved once from the registry.

function must(group: string, version: string, resource: string): ResourceInfo {
  const info = resourceFor(group, version, resource);
  if (!info) throw new Error(`resource ${group}/${version}/${resource} is not registered`);
  return info;
}

export const PODS = must('', 'v1', 'pods');
export const NODES = must('', 'v1', 'nodes');
export const REPLICASETS = must('apps', 'v1', 'replicasets');
export const DEPLOYMENTS = must('apps', 'v1', 'deployments');
export const DAEMONSETS = must('apps', 'v1', 'daemonsets');
export const CONTROLLERREVISIONS = must('apps', 'v1', 'controllerrevisions');
export const JOBS = must('batch', 'v1', 'jobs');
export const CRONJOBS = must('batch', 'v1', 'cronjobs');
export const STATEFULSETS = must('apps', 'v1', 'statefulsets');
export const REPLICATIONCONTROLLERS = must('', 'v1', 'replicationcontrollers');
export const PODDISRUPTIONBUDGETS = must('policy', 'v1', 'poddisruptionbudgets');
