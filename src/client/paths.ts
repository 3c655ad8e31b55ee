import type { ResourceInfo } from '../api/scheme/resources.js';

// URL layout of the Kubernetes REST API: /api/v1 for the core group,
// /apis/<group>/<version> for the others, namespaces/<ns> in between for
// namespaced resources (omitted to list across all namespaces).

/** The part of a ResourceInfo the client needs to build URLs. */
export type ResourceRef = Pick<ResourceInfo, 'group' | 'version' | 'resource' | 'namespaced'>;

export function groupVersionPath(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

export function resourcePath(info: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
  let p = groupVersionPath(info.group, info.version);
  if (info.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${info.resource}`;
  if (name !== undefined) {
    if (!name) throw new Error(`resource name may not be empty (${info.resource})`);
    p += `/${encodeURIComponent(name)}`;
    if (subresource) p += `/${subresource}`;
  }
  return p;
}

export type QueryValue = string | number | boolean | undefined | null;

/** Query string from defined values only, with a leading "?" when non-empty. */
export function query(params: Record<string, QueryValue>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
