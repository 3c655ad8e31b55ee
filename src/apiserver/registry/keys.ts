import type { ResourceInfo } from '../../api/scheme/resources.js';

// Storage keys follow upstream's etcd layout (/registry/pods/NS/NAME), so a
// person who knows Kubernetes can read the database.

export function objectKey(info: ResourceInfo, namespace: string | undefined, name: string): string {
  return info.namespaced ? `${info.storagePrefix}/${namespace}/${name}` : `${info.storagePrefix}/${name}`;
}

/** Prefix of every object of a resource, or of one namespace's; always ends in '/'. */
export function listPrefix(info: ResourceInfo, namespace: string | undefined): string {
  return info.namespaced && namespace ? `${info.storagePrefix}/${namespace}/` : `${info.storagePrefix}/`;
}
