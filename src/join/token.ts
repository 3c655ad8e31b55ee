import { createHash, randomBytes, X509Certificate } from 'node:crypto';

// The join token `k8ts server` writes to DIR/node-token, in k3s's secure
// format: K10<sha256 of the CA cert DER>::<id>.<secret>. The hash is what
// kubeadm calls --discovery-token-ca-cert-hash (without "sha256:"): an agent
// trusts a server only when the CA it is shown hashes to it. id.secret is an
// ordinary bootstrap token (a kube-system Secret bootstrap-token-<id>).

const PREFIX = 'K10';
const ID_RE = /^[a-z0-9]{6}$/;
const SECRET_RE = /^[a-z0-9]{16}$/;
const HASH_RE = /^[0-9a-f]{64}$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A join token that cannot be read; the message says what is wrong with it. */
export class JoinTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JoinTokenError';
  }
}

export interface JoinToken {
  /** Hex SHA-256 of the CA certificate's DER encoding. */
  caHash: string;
  tokenId: string;
  tokenSecret: string;
}

/** SHA-256 (hex) of the DER of the first certificate in `caCertPem`, as kubeadm's discovery-token-ca-cert-hash. */
export function caCertHash(caCertPem: string): string {
  return createHash('sha256').update(new X509Certificate(caCertPem).raw).digest('hex');
}

export function formatJoinToken(caCertPem: string, tokenId: string, tokenSecret: string): string {
  if (!ID_RE.test(tokenId)) throw new JoinTokenError(`token id ${JSON.stringify(tokenId)} must be 6 characters of [a-z0-9]`);
  if (!SECRET_RE.test(tokenSecret)) throw new JoinTokenError('token secret must be 16 characters of [a-z0-9]');
  return `${PREFIX}${caCertHash(caCertPem)}::${tokenId}.${tokenSecret}`;
}

export function parseJoinToken(token: string): JoinToken {
  const t = token.trim();
  if (!t.startsWith(PREFIX)) throw new JoinTokenError(`malformed join token: it must start with ${PREFIX} (the format is K10<ca-hash>::<id>.<secret>, as DIR/node-token holds)`);
  const sep = t.indexOf('::');
  if (sep < 0) throw new JoinTokenError('malformed join token: no "::" between the CA hash and the bootstrap token');
  const caHash = t.slice(PREFIX.length, sep).toLowerCase();
  if (!HASH_RE.test(caHash)) throw new JoinTokenError('malformed join token: the CA hash must be 64 hex digits (SHA-256)');
  const m = /^([a-z0-9]{6})\.([a-z0-9]{16})$/.exec(t.slice(sep + 2));
  if (!m) throw new JoinTokenError('malformed join token: the bootstrap token must be <6 chars of [a-z0-9]>.<16 chars of [a-z0-9]>');
  return { caHash, tokenId: m[1]!, tokenSecret: m[2]! };
}

/** Random characters of the bootstrap token alphabet (kubeadm's GenerateBootstrapToken). */
export function randomTokenPart(n: number): string {
  let out = '';
  while (out.length < n) {
    for (const b of randomBytes(n * 2)) {
      // 252 = 7 × 36: rejecting the rest keeps every character equally likely.
      if (b < 252 && out.length < n) out += ALPHABET[b % 36];
    }
  }
  return out;
}
