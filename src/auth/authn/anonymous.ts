import { ALL_UNAUTHENTICATED, ANONYMOUS_USER, type UserInfo } from '../user.js';

// With --anonymous-auth off, one read stays open to requests without
// credentials: the kube-public/cluster-info ConfigMap a joining node reads
// before it trusts the server (as upstream 1.32's anonymous authenticator
// limited by path conditions, AnonymousAuthConfigurableEndpoints). RBAC still
// decides: only the Role granting system:anonymous `get` on that one
// ConfigMap lets it through.

export const CLUSTER_INFO_PATH = '/api/v1/namespaces/kube-public/configmaps/cluster-info';

export function anonymousAllowedFor(method: string | undefined, pathname: string): UserInfo | null {
  if ((method ?? 'GET') === 'GET' && pathname === CLUSTER_INFO_PATH) return { username: ANONYMOUS_USER, groups: [ALL_UNAUTHENTICATED] };
  return null;
}
