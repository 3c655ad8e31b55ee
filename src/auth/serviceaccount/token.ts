import { createHash, createPublicKey, randomUUID } from 'node:crypto';
// jose's subpath modules: its index loads JWE, JWKS and the rest too (46 modules, ~1 MB of heap).
import { SignJWT } from 'jose/jwt/sign';
import { importPKCS8, importSPKI } from 'jose/key/import';
import type { CryptoKey as JoseKey } from 'jose';
import { nowTimestamp } from '../../api/types.js';
import { serviceAccountUsername } from '../user.js';

// Service account tokens as upstream's pkg/serviceaccount issues them: RS256
// JWTs whose kid is derived from the public key, in two flavours: legacy
// (stored in a Secret, no expiry, issuer "kubernetes/serviceaccount") and
// bound (TokenRequest: audience, expiry, tied to a live object).

export const LEGACY_ISSUER = 'kubernetes/serviceaccount';
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface BoundClaims {
  namespace: string;
  serviceaccount: { name: string; uid: string };
  pod?: { name: string; uid: string };
  secret?: { name: string; uid: string };
  node?: { name: string; uid: string };
  warnafter?: number;
}

export interface BoundTokenOptions {
  namespace: string;
  serviceAccount: { name: string; uid: string };
  audiences: string[];
  expirationSeconds: number;
  boundObject?: { kind: 'Pod' | 'Secret'; name: string; uid: string };
  /** The node a bound pod runs on (upstream adds it to pod-bound tokens). */
  node?: { name: string; uid: string };
  issuer: string;
  /** Defaults to now; tests issue tokens in the past. */
  now?: Date;
}

const privateKeys = new Map<string, Promise<JoseKey>>();
const publicKeys = new Map<string, Promise<JoseKey>>();

export function signingKey(pem: string): Promise<JoseKey> {
  let k = privateKeys.get(pem);
  if (!k) {
    k = importPKCS8(pem, 'RS256');
    privateKeys.set(pem, k);
  }
  return k;
}

export function verificationKey(pem: string): Promise<JoseKey> {
  let k = publicKeys.get(pem);
  if (!k) {
    k = importSPKI(pem, 'RS256');
    publicKeys.set(pem, k);
  }
  return k;
}

/** Upstream's keyIDFromPublicKey: unpadded base64url of the SHA-256 of the DER public key. */
export function keyId(keyPem: string): string {
  const der = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url');
}

const kids = new Map<string, string>();
function kidFor(pem: string): string {
  let kid = kids.get(pem);
  if (!kid) {
    kid = keyId(pem);
    kids.set(pem, kid);
  }
  return kid;
}

export async function issueBoundToken(signingKeyPem: string, opts: BoundTokenOptions): Promise<{ token: string; expirationTimestamp: string }> {
  const now = opts.now ?? new Date();
  const iat = Math.floor(now.getTime() / 1000);
  const exp = iat + opts.expirationSeconds;
  const k8s: BoundClaims = { namespace: opts.namespace, serviceaccount: { name: opts.serviceAccount.name, uid: opts.serviceAccount.uid } };
  if (opts.boundObject?.kind === 'Pod') {
    k8s.pod = { name: opts.boundObject.name, uid: opts.boundObject.uid };
    if (opts.node) k8s.node = { name: opts.node.name, uid: opts.node.uid };
  }
  if (opts.boundObject?.kind === 'Secret') k8s.secret = { name: opts.boundObject.name, uid: opts.boundObject.uid };
  const token = await new SignJWT({ 'kubernetes.io': k8s as unknown as Record<string, unknown> })
    .setProtectedHeader({ alg: 'RS256', kid: kidFor(signingKeyPem) })
    .setIssuer(opts.issuer)
    .setSubject(serviceAccountUsername(opts.namespace, opts.serviceAccount.name))
    .setAudience(opts.audiences)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .setJti(randomUUID())
    .sign(await signingKey(signingKeyPem));
  return { token, expirationTimestamp: nowTimestamp(new Date(exp * 1000)) };
}

/** A legacy token for a kubernetes.io/service-account-token Secret (the token controller fills data.token with it). */
export async function issueLegacyToken(signingKeyPem: string, opts: { namespace: string; serviceAccount: { name: string; uid: string }; secretName: string }): Promise<string> {
  return new SignJWT({
    'kubernetes.io/serviceaccount/namespace': opts.namespace,
    'kubernetes.io/serviceaccount/secret.name': opts.secretName,
    'kubernetes.io/serviceaccount/service-account.name': opts.serviceAccount.name,
    'kubernetes.io/serviceaccount/service-account.uid': opts.serviceAccount.uid,
  })
    .setProtectedHeader({ alg: 'RS256', kid: kidFor(signingKeyPem) })
    .setIssuer(LEGACY_ISSUER)
    .setSubject(serviceAccountUsername(opts.namespace, opts.serviceAccount.name))
    .sign(await signingKey(signingKeyPem));
}
