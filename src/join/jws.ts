import { createHmac, timingSafeEqual } from 'node:crypto';

// Detached JWS (RFC 7515 appendix F), HS256 keyed by a bootstrap token's
// secret, as upstream's bootstrap signer puts on the cluster-info ConfigMap:
// a joining node that knows id.secret checks the kubeconfig it read
// anonymously was signed by someone who knows the same secret.

const b64url = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

function signingInput(content: string, tokenId: string): { header: string; input: string } {
  const header = b64url(JSON.stringify({ alg: 'HS256', kid: tokenId }));
  return { header, input: `${header}.${b64url(content)}` };
}

/** "header..signature": the compact serialization with the payload left out. */
export function detachedSignature(content: string, tokenId: string, tokenSecret: string): string {
  const { header, input } = signingInput(content, tokenId);
  return `${header}..${createHmac('sha256', tokenSecret).update(input).digest('base64url')}`;
}

/** True when `jws` is the detached signature of `content` by this token. */
export function verifyDetachedSignature(content: string, jws: string, tokenId: string, tokenSecret: string): boolean {
  const want = Buffer.from(detachedSignature(content, tokenId, tokenSecret));
  const got = Buffer.from(jws);
  return want.length === got.length && timingSafeEqual(want, got);
}
