// jose's subpath modules, not its index (which loads JWE, JWKS and the rest too).
import { decodeJwt } from 'jose/jwt/decode';
import { jwtVerify } from 'jose/jwt/verify';
import type { JWTPayload } from 'jose';
import { resourceFor } from '../../api/scheme/resources.js';
import { StatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import type { Registry } from '../../apiserver/handlers/context.js';
import { serviceAccountGroups, serviceAccountUsername, type UserInfo } from '../user.js';
import { LEGACY_ISSUER, verificationKey, type BoundClaims } from '../serviceaccount/token.js';
import { CredentialError } from './errors.js';

const serviceaccounts = resourceFor('', 'v1', 'serviceaccounts')!;
const secrets = resourceFor('', 'v1', 'secrets')!;
const pods = resourceFor('', 'v1', 'pods')!;
const nodes = resourceFor('', 'v1', 'nodes')!;

/** Upstream validates exp/nbf with go-jose's default leeway. */
const LEEWAY_SECONDS = 60;

export interface ServiceAccountTokenOptions {
  registry: Registry;
  publicKeyPem: string;
  /** Issuers of bound tokens; the first one is what TokenRequest stamps. */
  issuers: string[];
  /** Accepted audiences of bound tokens (--api-audiences). */
  audiences: string[];
  /** Also accept legacy Secret-based tokens (upstream's default). */
  legacy?: boolean;
}

async function lookup(registry: Registry, info: typeof secrets, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
  try {
    return await registry.storeFor(info).get(namespace, name);
  } catch (err) {
    if (err instanceof StatusError && err.code === 404) return undefined;
    throw err;
  }
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/**
 * Service account JWTs, as upstream's JWTTokenAuthenticator: a token from
 * another issuer is not ours (null); ours must verify and must still match
 * the live objects it names, so deleting (or recreating) the ServiceAccount,
 * Pod or Secret revokes it.
 */
export function serviceAccountTokenAuthenticator(opts: ServiceAccountTokenOptions): (token: string, now?: Date) => Promise<UserInfo | null> {
  const issuers = new Set(opts.issuers);
  const legacy = opts.legacy ?? true;
  return async (token, now = new Date()) => {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      return null;
    }
    const iss = unverified.iss ?? '';
    const isLegacy = iss === LEGACY_ISSUER;
    if (!(isLegacy ? legacy : issuers.has(iss))) return null;
    let payload: JWTPayload;
    try {
      const res = await jwtVerify(token, await verificationKey(opts.publicKeyPem), {
        algorithms: ['RS256'],
        issuer: iss,
        clockTolerance: LEEWAY_SECONDS,
        currentDate: now,
        ...(isLegacy || opts.audiences.length === 0 ? {} : { audience: opts.audiences }),
      });
      payload = res.payload;
    } catch (err) {
      throw new CredentialError(`invalid bearer token: ${(err as Error).message}`);
    }
    return isLegacy ? validateLegacy(opts.registry, token, payload) : validateBound(opts.registry, payload, now);
  };
}

async function validateLegacy(registry: Registry, token: string, p: JWTPayload): Promise<UserInfo> {
  const namespace = str(p['kubernetes.io/serviceaccount/namespace']);
  const saName = str(p['kubernetes.io/serviceaccount/service-account.name']);
  const saUid = str(p['kubernetes.io/serviceaccount/service-account.uid']);
  const secretName = str(p['kubernetes.io/serviceaccount/secret.name']);
  if (!namespace || !saName || !saUid || !secretName) throw new CredentialError('service account token claims are incomplete');
  const secret = await lookup(registry, secrets, namespace, secretName);
  if (!secret) throw new CredentialError(`secret ${namespace}/${secretName} referenced by the token not found`);
  const stored = (secret.data as Record<string, string> | undefined)?.token;
  if (!stored || Buffer.from(stored, 'base64').toString('utf8') !== token) throw new CredentialError('token does not match the secret it names');
  const sa = await lookup(registry, serviceaccounts, namespace, saName);
  if (!sa) throw new CredentialError(`service account ${namespace}/${saName} not found`);
  if (sa.metadata.uid !== saUid) throw new CredentialError(`service account UID (${sa.metadata.uid}) does not match claim (${saUid})`);
  return { username: serviceAccountUsername(namespace, saName), uid: saUid, groups: serviceAccountGroups(namespace), extra: {} };
}

function liveAt(obj: KubeObject, now: Date): boolean {
  const dt = obj.metadata.deletionTimestamp;
  return !dt || Date.parse(dt) >= now.getTime();
}

async function validateBound(registry: Registry, p: JWTPayload, now: Date): Promise<UserInfo> {
  const k = p['kubernetes.io'] as BoundClaims | undefined;
  if (!k || !k.namespace || !k.serviceaccount?.name) throw new CredentialError('service account token claims are incomplete');
  const ns = k.namespace;
  const sa = await lookup(registry, serviceaccounts, ns, k.serviceaccount.name);
  if (!sa || !liveAt(sa, now)) throw new CredentialError(`service account ${ns}/${k.serviceaccount.name} has been deleted`);
  if (sa.metadata.uid !== k.serviceaccount.uid) throw new CredentialError(`service account UID (${sa.metadata.uid}) does not match claim (${k.serviceaccount.uid})`);
  const extra: Record<string, string[]> = {};
  if (k.pod) {
    const pod = await lookup(registry, pods, ns, k.pod.name);
    if (!pod || !liveAt(pod, now)) throw new CredentialError(`pod ${ns}/${k.pod.name} has been deleted`);
    if (pod.metadata.uid !== k.pod.uid) throw new CredentialError(`pod UID (${pod.metadata.uid}) does not match claim (${k.pod.uid})`);
    extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
    extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
  }
  if (k.secret) {
    const secret = await lookup(registry, secrets, ns, k.secret.name);
    if (!secret || !liveAt(secret, now)) throw new CredentialError(`secret ${ns}/${k.secret.name} has been deleted`);
    if (secret.metadata.uid !== k.secret.uid) throw new CredentialError(`secret UID (${secret.metadata.uid}) does not match claim (${k.secret.uid})`);
  }
  if (k.node) {
    const node = await lookup(registry, nodes, undefined, k.node.name);
    if (!node || !liveAt(node, now)) throw new CredentialError(`node ${k.node.name} has been deleted`);
    if (node.metadata.uid !== k.node.uid) throw new CredentialError(`node UID (${node.metadata.uid}) does not match claim (${k.node.uid})`);
    extra['authentication.kubernetes.io/node-name'] = [k.node.name];
    extra['authentication.kubernetes.io/node-uid'] = [k.node.uid];
  }
  if (p.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${p.jti}`];
  return { username: serviceAccountUsername(ns, k.serviceaccount.name), uid: k.serviceaccount.uid, groups: serviceAccountGroups(ns), extra };
}
