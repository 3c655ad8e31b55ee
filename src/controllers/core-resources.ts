import { resourceFor, type ResourceInfo } from '../api/scheme/resources.js';

// The resources the core controllers (namespace, serviceaccount, node
// lifecycle, endpoints, pod GC) address directly, resolved once.

function must(group: string, version: string, resource: string): ResourceInfo {
  const info = resourceFor(group, version, resource);
  if (!info) throw new Error(`resource ${group}/${version}/${resource} is not registered`);
  return info;
}

export const NAMESPACES = must('', 'v1', 'namespaces');
export const NODES = must('', 'v1', 'nodes');
export const PODS = must('', 'v1', 'pods');
export const SERVICES = must('', 'v1', 'services');
export const ENDPOINTS = must('', 'v1', 'endpoints');
export const SERVICEACCOUNTS = must('', 'v1', 'serviceaccounts');
export const LEASES = must('coordination.k8s.io', 'v1', 'leases');
export const ENDPOINTSLICES = must('discovery.k8s.io', 'v1', 'endpointslices');
export const CONFIGMAPS = must('', 'v1', 'configmaps');
export const SECRETS = must('', 'v1', 'secrets');
export const CSRS = must('certificates.k8s.io', 'v1', 'certificatesigningrequests');
export const SUBJECT_ACCESS_REVIEWS = must('authorization.k8s.io', 'v1', 'subjectaccessreviews');
