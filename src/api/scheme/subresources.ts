import type { ResourceInfo } from './resources.js';

export interface SubresourceKind {
  group: string;
  version: string;
  kind: string;
}

/** Upstream's request kinds for connect subresources, all in core/v1. */
export const CONNECT_KINDS: Record<string, string> = {
  'pods/exec': 'PodExecOptions',
  'pods/attach': 'PodAttachOptions',
  'pods/portforward': 'PodPortForwardOptions',
  'pods/proxy': 'PodProxyOptions',
  'nodes/proxy': 'NodeProxyOptions',
  'services/proxy': 'ServiceProxyOptions',
};

/** What a subresource takes and returns, where that differs from its parent kind (discovery and OpenAPI both say it). */
export function subresourceKind(r: ResourceInfo, sub: string): SubresourceKind {
  switch (sub) {
    case 'scale':
      return { group: 'autoscaling', version: 'v1', kind: 'Scale' };
    case 'binding':
      return { group: '', version: 'v1', kind: 'Binding' };
    case 'eviction':
      return { group: 'policy', version: 'v1', kind: 'Eviction' };
    case 'token':
      return { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' };
    default:
      return { group: r.group, version: r.version, kind: CONNECT_KINDS[`${r.resource}/${sub}`] ?? r.kind };
  }
}
