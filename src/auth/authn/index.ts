import type { IncomingMessage } from 'node:http';
import type { ClusterPki } from '../../pki/index.js';
import type { Registry } from '../../apiserver/handlers/context.js';
import { ALL_UNAUTHENTICATED, ANONYMOUS_USER, withAuthenticatedGroup, type UserInfo } from '../user.js';
import { DEFAULT_ISSUER } from '../serviceaccount/token.js';
import { authenticateClientCert } from './x509.js';
import { loadTokenFile } from './token-file.js';
import { authenticateBootstrapToken } from './bootstrap-token.js';
import { serviceAccountTokenAuthenticator } from './serviceaccount.js';
import { CredentialError, unauthorized } from './errors.js';
import { logger } from '../../util/log.js';

export { impersonate } from './impersonate.js';
export { unauthorized } from './errors.js';

const log = logger('auth');

export interface Authenticator {
  /** null = no credentials presented; throws StatusError 401 for bad credentials. */
  authenticate(req: IncomingMessage): Promise<UserInfo | null>;
  /** Bearer tokens alone, for TokenReview: null when no authenticator accepts the token. */
  authenticateToken(token: string): Promise<UserInfo | null>;
}

export interface AuthenticatorOptions {
  pki: ClusterPki;
  registry: Registry;
  tokenAuthFile?: string;
  anonymous: boolean;
  /** --api-audiences; empty means the first issuer. */
  apiAudiences: string[];
  /** --service-account-issuer values; defaults to https://kubernetes.default.svc.cluster.local. */
  issuers?: string[];
}

const WS_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';

/** The bearer token of a request: the Authorization header, or the WebSocket subprotocol kubectl exec uses from browsers. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (h) {
    const parts = h.trim().split(/\s+/);
    if (parts.length >= 2 && parts[0]!.toLowerCase() === 'bearer' && parts[1]) return parts[1];
    return undefined;
  }
  const proto = req.headers['sec-websocket-protocol'];
  if (typeof proto === 'string') {
    for (const p of proto.split(',').map((s) => s.trim())) {
      if (p.startsWith(WS_PROTOCOL_PREFIX)) {
        const t = Buffer.from(p.slice(WS_PROTOCOL_PREFIX.length), 'base64url').toString('utf8');
        if (t) return t;
      }
    }
  }
  return undefined;
}

/**
 * Upstream's authenticator union, in its order: client certificate, then
 * bearer tokens (static file, bootstrap, service account). A credential that
 * is presented and wrong is a 401 even when anonymous access is on.
 */
export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  const staticTokens = opts.tokenAuthFile ? loadTokenFile(opts.tokenAuthFile) : new Map<string, UserInfo>();
  const issuers = opts.issuers?.length ? opts.issuers : [DEFAULT_ISSUER];
  const saTokens = serviceAccountTokenAuthenticator({
    registry: opts.registry,
    publicKeyPem: opts.pki.saPublicKeyPem,
    issuers,
    audiences: opts.apiAudiences.length ? opts.apiAudiences : [issuers[0]!],
  });

  async function byToken(token: string): Promise<UserInfo | null> {
    const s = staticTokens.get(token);
    if (s) return { ...s, groups: [...s.groups] };
    return (await authenticateBootstrapToken(opts.registry, token)) ?? (await saTokens(token));
  }

  return {
    async authenticateToken(token) {
      try {
        const u = await byToken(token);
        return u ? withAuthenticatedGroup(u) : null;
      } catch (err) {
        if (err instanceof CredentialError) return null;
        throw err;
      }
    },
    async authenticate(req) {
      const errors: string[] = [];
      try {
        const u = authenticateClientCert(req);
        if (u) return withAuthenticatedGroup(u);
      } catch (err) {
        if (!(err instanceof CredentialError)) throw err;
        errors.push(err.message);
      }
      const token = bearerToken(req);
      if (token !== undefined) {
        try {
          const u = await byToken(token);
          if (u) {
            delete req.headers.authorization;
            return withAuthenticatedGroup(u);
          }
          errors.push('invalid bearer token');
        } catch (err) {
          if (!(err instanceof CredentialError)) throw err;
          errors.push(err.message);
        }
      }
      if (errors.length) {
        log.debug({ url: req.url, errors }, 'unable to authenticate the request');
        throw unauthorized();
      }
      if (opts.anonymous) return { username: ANONYMOUS_USER, groups: [ALL_UNAUTHENTICATED] };
      return null;
    },
  };
}
