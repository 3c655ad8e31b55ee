import { readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { StatusError } from '../api/errors.js';
import { resourceFor } from '../api/scheme/resources.js';
import type { KubeObject } from '../api/types.js';
import type { Registry } from '../apiserver/handlers/context.js';
import { BOOTSTRAP_TOKEN_SECRET_TYPE } from '../auth/authn/bootstrap-token.js';
import { logger } from '../util/log.js';
import { CLUSTER_INFO_NAME, CLUSTER_INFO_NAMESPACE, clusterInfoKubeconfig, JWS_PREFIX, KUBECONFIG_KEY } from './cluster-info.js';
import { detachedSignature } from './jws.js';
import { caCertHash, formatJoinToken, JoinTokenError, parseJoinToken, randomTokenPart } from './token.js';

// What `k8ts server` does for joining nodes at every start: the join token in
// DIR/node-token (kept across restarts; a new one only when the CA changed,
// the file is gone or its --token-ttl ran out), the bootstrap-token Secret
// behind it, and the cluster-info ConfigMap with the anonymous read that lets
// an agent fetch the CA before it trusts anything (kubeadm's bootstrap-token
// phase).

const log = logger('join');
const SECRETS = resourceFor('', 'v1', 'secrets')!;
const CONFIGMAPS = resourceFor('', 'v1', 'configmaps')!;
const ROLES = resourceFor('rbac.authorization.k8s.io', 'v1', 'roles')!;
const ROLE_BINDINGS = resourceFor('rbac.authorization.k8s.io', 'v1', 'rolebindings')!;
export const NODE_TOKEN_GROUP = 'system:bootstrappers:k8ts:default-node-token';
const CLUSTER_INFO_ROLE = 'k8ts:bootstrap-signer-clusterinfo';

export interface JoinSetup {
  token: string;
  tokenFile: string;
  tokenId: string;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: unknown) => (typeof s === 'string' ? Buffer.from(s, 'base64').toString('utf8') : '');

async function getOrNull(registry: Registry, info: typeof SECRETS, ns: string, name: string): Promise<KubeObject | null> {
  try {
    return await registry.storeFor(info).get(ns, name);
  } catch (err) {
    if (err instanceof StatusError && err.code === 404) return null;
    throw err;
  }
}

async function createIfMissing(registry: Registry, info: typeof SECRETS, ns: string, obj: KubeObject): Promise<void> {
  try {
    await registry.storeFor(info).create(ns, obj);
  } catch (err) {
    if (!(err instanceof StatusError && err.code === 409)) throw err;
  }
}

function bootstrapSecret(id: string, secret: string, expiration: string | undefined): KubeObject {
  const data: Record<string, string> = {
    'token-id': b64(id),
    'token-secret': b64(secret),
    'usage-bootstrap-authentication': b64('true'),
    'usage-bootstrap-signing': b64('true'),
    'auth-extra-groups': b64(NODE_TOKEN_GROUP),
    description: b64('The default bootstrap token of k8ts server, for `k8ts agent --token`.'),
  };
  if (expiration) data.expiration = b64(expiration);
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' }, type: BOOTSTRAP_TOKEN_SECRET_TYPE, data };
}

/** The token of DIR/node-token when it still belongs to this CA and its Secret is usable (or can be made again). */
async function reusable(registry: Registry, file: string, caCertPem: string): Promise<{ id: string; secret: string } | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const t = parseJoinToken(text);
    if (t.caHash !== caCertHash(caCertPem)) {
      log.info({ file }, 'the cluster CA changed: issuing a new join token');
      return null;
    }
    const have = await getOrNull(registry, SECRETS, 'kube-system', `bootstrap-token-${t.tokenId}`);
    if (have) {
      const data = (have.data ?? {}) as Record<string, string>;
      const exp = unb64(data.expiration);
      if (unb64(data['token-secret']) !== t.tokenSecret || (exp && Date.parse(exp) <= Date.now())) return null;
    }
    return { id: t.tokenId, secret: t.tokenSecret };
  } catch (err) {
    if (err instanceof JoinTokenError) return null;
    throw err;
  }
}

export async function ensureJoinSetup(registry: Registry, o: { dataDir: string; caCertPem: string; server: string; ttlMs?: number }): Promise<JoinSetup> {
  const tokenFile = join(o.dataDir, 'node-token');
  const kept = await reusable(registry, tokenFile, o.caCertPem);
  const id = kept?.id ?? randomTokenPart(6);
  const secret = kept?.secret ?? randomTokenPart(16);
  const name = `bootstrap-token-${id}`;
  if (!(await getOrNull(registry, SECRETS, 'kube-system', name))) {
    const expiration = o.ttlMs ? new Date(Date.now() + o.ttlMs).toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined;
    await createIfMissing(registry, SECRETS, 'kube-system', bootstrapSecret(id, secret, expiration));
    log.info({ tokenId: id, expiration }, 'created the node bootstrap token');
  }
  const token = formatJoinToken(o.caCertPem, id, secret);
  await writeFile(tokenFile, token + '\n', { mode: 0o600 });
  await chmod(tokenFile, 0o600);
  // Signed here too, so an agent started the moment the server is ready finds its signature.
  await ensureClusterInfo(registry, o.server, o.caCertPem, { id, secret });
  await ensureTokenCleanerRole(registry);
  return { token, tokenFile, tokenId: id };
}

export async function ensureClusterInfo(registry: Registry, server: string, caCertPem: string, token: { id: string; secret: string }): Promise<void> {
  const kubeconfig = clusterInfoKubeconfig(server, caCertPem);
  const signature = { [`${JWS_PREFIX}${token.id}`]: detachedSignature(kubeconfig, token.id, token.secret) };
  const store = registry.storeFor(CONFIGMAPS);
  const have = await getOrNull(registry, CONFIGMAPS, CLUSTER_INFO_NAMESPACE, CLUSTER_INFO_NAME);
  const data = (have?.data ?? {}) as Record<string, string>;
  if (!have) {
    await createIfMissing(registry, CONFIGMAPS, CLUSTER_INFO_NAMESPACE, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: CLUSTER_INFO_NAME, namespace: CLUSTER_INFO_NAMESPACE }, data: { [KUBECONFIG_KEY]: kubeconfig, ...signature } });
  } else if (data[KUBECONFIG_KEY] !== kubeconfig || Object.entries(signature).some(([k, v]) => data[k] !== v)) {
    // A new CA or address voids the signatures over the old content; the bootstrap signer redoes the other tokens'.
    await store.update(CLUSTER_INFO_NAMESPACE, CLUSTER_INFO_NAME, (cur) => {
      const keep = data[KUBECONFIG_KEY] === kubeconfig ? (cur.data as Record<string, string>) : {};
      cur.data = { ...keep, [KUBECONFIG_KEY]: kubeconfig, ...signature };
      delete cur.metadata.resourceVersion;
      return cur;
    });
  }
  const rbac = 'rbac.authorization.k8s.io';
  await createIfMissing(registry, ROLES, CLUSTER_INFO_NAMESPACE, {
    apiVersion: `${rbac}/v1`,
    kind: 'Role',
    metadata: { name: CLUSTER_INFO_ROLE, namespace: CLUSTER_INFO_NAMESPACE },
    rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [CLUSTER_INFO_NAME], verbs: ['get'] }],
  });
  await createIfMissing(registry, ROLE_BINDINGS, CLUSTER_INFO_NAMESPACE, {
    apiVersion: `${rbac}/v1`,
    kind: 'RoleBinding',
    metadata: { name: CLUSTER_INFO_ROLE, namespace: CLUSTER_INFO_NAMESPACE },
    roleRef: { apiGroup: rbac, kind: 'Role', name: CLUSTER_INFO_ROLE },
    subjects: [{ apiGroup: rbac, kind: 'User', name: 'system:anonymous' }],
  });
}

/**
 * Upstream's system:controller:token-cleaner is a Role in kube-system (not a
 * ClusterRole): the token cleaner may delete Secrets there and nowhere else.
 */
async function ensureTokenCleanerRole(registry: Registry): Promise<void> {
  const rbac = 'rbac.authorization.k8s.io';
  const name = 'system:controller:token-cleaner';
  await createIfMissing(registry, ROLES, 'kube-system', {
    apiVersion: `${rbac}/v1`,
    kind: 'Role',
    metadata: { name, namespace: 'kube-system', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
    rules: [
      { apiGroups: [''], resources: ['secrets'], verbs: ['delete', 'get', 'list', 'watch'] },
      { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] },
    ],
  });
  await createIfMissing(registry, ROLE_BINDINGS, 'kube-system', {
    apiVersion: `${rbac}/v1`,
    kind: 'RoleBinding',
    metadata: { name, namespace: 'kube-system', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
    roleRef: { apiGroup: rbac, kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name: 'token-cleaner', namespace: 'kube-system' }],
  });
}
