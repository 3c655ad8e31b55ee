// Who is making a request, as upstream's user.Info, and the well-known names
// that policy keys on.

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export const ANONYMOUS_USER = 'system:anonymous';
export const ALL_AUTHENTICATED = 'system:authenticated';
export const ALL_UNAUTHENTICATED = 'system:unauthenticated';
/** Upstream's SystemPrivilegedGroup: always allowed, whatever RBAC says. */
export const SYSTEM_MASTERS = 'system:masters';
export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';
export const KUBE_PROXY = 'system:kube-proxy';
export const KUBE_SCHEDULER = 'system:kube-scheduler';
export const KUBE_CONTROLLER_MANAGER = 'system:kube-controller-manager';
export const SA_USER_PREFIX = 'system:serviceaccount:';
export const ALL_SERVICE_ACCOUNTS = 'system:serviceaccounts';
export const BOOTSTRAPPERS = 'system:bootstrappers';

export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SA_USER_PREFIX}${namespace}:${name}`;
}

export function serviceAccountGroups(namespace: string): string[] {
  return [ALL_SERVICE_ACCOUNTS, `${ALL_SERVICE_ACCOUNTS}:${namespace}`];
}

/** system:serviceaccount:NS:NAME → { namespace, name }; anything else → undefined. */
export function splitServiceAccountUsername(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SA_USER_PREFIX)) return undefined;
  const parts = username.slice(SA_USER_PREFIX.length).split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { namespace: parts[0], name: parts[1] };
}

/** Upstream's NodeIdentity isNode: a system:node:* user in system:nodes (the name may still be empty). */
export function isNodeUser(user: UserInfo): boolean {
  return user.username.startsWith(NODE_USER_PREFIX) && user.groups.includes(NODES_GROUP);
}

/** The node a kubelet credential speaks for, if it is one. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.username.startsWith(NODE_USER_PREFIX) || !user.groups.includes(NODES_GROUP)) return undefined;
  const name = user.username.slice(NODE_USER_PREFIX.length);
  return name || undefined;
}

/**
 * k8ts: the user the server's own local-path provisioner speaks as. Only the
 * server issues it (a node's CSR for it is never approved), and it may write
 * any PersistentVolume.
 */
export const LOCAL_PATH_USER = 'system:k8ts:local-path-provisioner';
/** k8ts: a joined node's local-path provisioner is system:k8ts:local-path-provisioner:NODE in this group. */
export const NODE_LOCAL_PATH_GROUP = 'system:k8ts:local-path-provisioners';
export const NODE_LOCAL_PATH_USER_PREFIX = `${LOCAL_PATH_USER}:`;

export function nodeLocalPathUser(node: string): string {
  return `${NODE_LOCAL_PATH_USER_PREFIX}${node}`;
}

/** The node whose local-path provisioner a credential is, if it is one (as nodeNameOf for kubelets). */
export function localPathNodeOf(user: UserInfo): string | undefined {
  if (!user.username.startsWith(NODE_LOCAL_PATH_USER_PREFIX) || !user.groups.includes(NODE_LOCAL_PATH_GROUP)) return undefined;
  return user.username.slice(NODE_LOCAL_PATH_USER_PREFIX.length) || undefined;
}

/** Adds system:authenticated as upstream's AuthenticatedGroupAdder does (not to anonymous, not twice). */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.username === ANONYMOUS_USER || user.groups.includes(ALL_AUTHENTICATED) || user.groups.includes(ALL_UNAUTHENTICATED)) return user;
  return { ...user, groups: [...user.groups, ALL_AUTHENTICATED] };
}
