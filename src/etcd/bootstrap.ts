import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StatusError } from '../api/errors.js';
import { resourceFor } from '../api/scheme/resources.js';
import type { KubeObject } from '../api/types.js';
import type { Registry } from '../apiserver/handlers/context.js';
import { BOOTSTRAP_TOKEN_SECRET_TYPE } from '../auth/authn/bootstrap-token.js';
import { ensureClusterInfo } from '../join/server-token.js';
import { caCertHash, formatJoinToken, JoinTokenError, parseJoinToken, randomTokenPart, type JoinToken } from '../join/token.js';
import type { ClusterPki } from '../pki/index.js';
import { logger } from '../util/log.js';
import type { EtcdCa } from './pki.js';

// What a joining server needs from the cluster, handed out through the API
// itself rather than an endpoint of our own: the server token is a bootstrap
// token (same K10<ca-hash>::<id>.<secret> form as the agents' node-token, so
// the CA is checked exactly as an agent checks it) whose extra group may `get`
// one Secret, kube-system/k8ts-server-bootstrap, holding the cluster CA and
// service-account keys and the etcd CA. The agents' node-token is a different
// token in a different group: it can join nodes but never read those keys.

const log = logger('etcd');
const SECRETS = resourceFor('', 'v1', 'secrets')!;
const ROLES = resourceFor('rbac.authorization.k8s.io', 'v1', 'roles')!;
const ROLE_BINDINGS = resourceFor('rbac.authorization.k8s.io', 'v1', 'rolebindings')!;
export const SERVER_TOKEN_GROUP = 'system:bootstrappers:k8ts:server-token';
export const SERVER_BOOTSTRAP_SECRET = 'k8ts-server-bootstrap';
const ROLE = 'k8ts:server-bootstrap';

export interface ServerBootstrap {
  caCertPem: string;
  caKeyPem: string;
  saKeyPem: string;
  saPubPem: string;
  etcdCa: EtcdCa;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: unknown) => (typeof s === 'string' ? Buffer.from(s, 'base64').toString('utf8') : '');

async function createIfMissing(registry: Registry, info: typeof SECRETS, ns: string, obj: KubeObject): Promise<void> {
  try {
    await registry.storeFor(info).create(ns, obj);
  } catch (err) {
    if (!(err instanceof StatusError && err.code === 409)) throw err;
  }
}

export function serverTokenFile(dataDir: string): string {
  return join(dataDir, 'token');
}

/** DIR/token when it still pins this CA; null otherwise. */
async function savedToken(file: string, caCertPem: string): Promise<JoinToken | null> {
  try {
    const t = parseJoinToken(await readFile(file, 'utf8'));
    return t.caHash === caCertHash(caCertPem) ? t : null;
  } catch (err) {
    if (err instanceof JoinTokenError || (err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Run by every managed-etcd server once its API server is up: the server
 * token (DIR/token, the one given with --token on a joining server), its
 * bootstrap-token Secret, the bootstrap Secret and the Role that opens it.
 */
export async function publishServerBootstrap(registry: Registry, o: { dataDir: string; server: string; pki: ClusterPki; etcdCa: EtcdCa; joinedWith?: JoinToken }): Promise<{ token: string; tokenFile: string }> {
  const file = serverTokenFile(o.dataDir);
  const t = o.joinedWith ?? (await savedToken(file, o.pki.caCertPem)) ?? { caHash: caCertHash(o.pki.caCertPem), tokenId: randomTokenPart(6), tokenSecret: randomTokenPart(16) };
  await createIfMissing(registry, SECRETS, 'kube-system', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${t.tokenId}`, namespace: 'kube-system' },
    type: BOOTSTRAP_TOKEN_SECRET_TYPE,
    data: {
      'token-id': b64(t.tokenId),
      'token-secret': b64(t.tokenSecret),
      'usage-bootstrap-authentication': b64('true'),
      'usage-bootstrap-signing': b64('true'),
      'auth-extra-groups': b64(SERVER_TOKEN_GROUP),
      description: b64('The server token of k8ts server: `k8ts server --server URL --token` joins another server with it.'),
    },
  });
  const data: Record<string, string> = {
    'ca.crt': b64(o.pki.caCertPem),
    'ca.key': b64(o.pki.caKeyPem),
    'sa.key': b64(o.pki.saSigningKeyPem),
    'sa.pub': b64(o.pki.saPublicKeyPem),
    'etcd-ca.crt': b64(o.etcdCa.certPem),
    'etcd-ca.key': b64(o.etcdCa.keyPem),
  };
  await createIfMissing(registry, SECRETS, 'kube-system', { apiVersion: 'v1', kind: 'Secret', metadata: { name: SERVER_BOOTSTRAP_SECRET, namespace: 'kube-system' }, type: 'Opaque', data });
  const rbac = 'rbac.authorization.k8s.io';
  await createIfMissing(registry, ROLES, 'kube-system', {
    apiVersion: `${rbac}/v1`,
    kind: 'Role',
    metadata: { name: ROLE, namespace: 'kube-system' },
    rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: [SERVER_BOOTSTRAP_SECRET], verbs: ['get'] }],
  });
  await createIfMissing(registry, ROLE_BINDINGS, 'kube-system', {
    apiVersion: `${rbac}/v1`,
    kind: 'RoleBinding',
    metadata: { name: ROLE, namespace: 'kube-system' },
    roleRef: { apiGroup: rbac, kind: 'Role', name: ROLE },
    subjects: [{ apiGroup: rbac, kind: 'Group', name: SERVER_TOKEN_GROUP }],
  });
  // Signed now, so a server joining the moment this one is ready can check the CA with this token.
  await ensureClusterInfo(registry, o.server, o.pki.caCertPem, { id: t.tokenId, secret: t.tokenSecret });
  const token = formatJoinToken(o.pki.caCertPem, t.tokenId, t.tokenSecret);
  await writeFile(file, token + '\n', { mode: 0o600 });
  await chmod(file, 0o600);
  log.info({ tokenId: t.tokenId }, 'server token ready');
  return { token, tokenFile: file };
}

/** The bootstrap Secret's content, as a joining server reads it. */
export function readServerBootstrap(secret: KubeObject): ServerBootstrap {
  const d = (secret.data ?? {}) as Record<string, string>;
  const need = (k: string): string => {
    const v = unb64(d[k]);
    if (!v) throw new Error(`kube-system/${SERVER_BOOTSTRAP_SECRET} has no ${k}`);
    return v;
  };
  return { caCertPem: need('ca.crt'), caKeyPem: need('ca.key'), saKeyPem: need('sa.key'), saPubPem: need('sa.pub'), etcdCa: { certPem: need('etcd-ca.crt'), keyPem: need('etcd-ca.key') } };
}
