import type { IncomingMessage } from 'node:http';
import type { TLSSocket, PeerCertificate } from 'node:tls';
import type { UserInfo } from '../user.js';
import { CredentialError } from './errors.js';
import { inProcessPeer } from '../../apiserver/in-process.js';
import { CLIENT_AUTH_OID } from '../../pki/oids.js';

// One TLS connection carries many requests; its certificate is checked once.
const bySocket = new WeakMap<TLSSocket, UserInfo | CredentialError | null>();

function asList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** The user a certificate names: CN is the user name, each O a group, as upstream's CommonNameUserConversion. */
export function userFromCertificate(cert: PeerCertificate): UserInfo {
  const cn = asList(cert.subject?.CN);
  return { username: cn[0] ?? '', groups: asList(cert.subject?.O) };
}

/**
 * A client certificate chaining to the cluster CA (Node verified it during
 * the handshake against the server's `ca`); null when none was presented.
 */
export function authenticateClientCert(req: IncomingMessage): UserInfo | null {
  // An in-process connection's certificate was verified when the connection was made (apiserver/in-process.ts).
  const inProcess = inProcessPeer(req.socket);
  if (inProcess instanceof CredentialError) throw inProcess;
  if (inProcess) return inProcess;
  const sock = req.socket as TLSSocket;
  if (!sock || typeof sock.getPeerCertificate !== 'function' || !sock.encrypted) return null;
  const cached = bySocket.get(sock);
  if (cached !== undefined) {
    if (cached instanceof CredentialError) throw cached;
    return cached;
  }
  let result: UserInfo | CredentialError | null;
  const cert = sock.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) result = null;
  else if (!sock.authorized) result = new CredentialError(`x509: certificate signed by unknown authority (${String(sock.authorizationError ?? 'unverified')})`);
  else if (cert.ext_key_usage && cert.ext_key_usage.length > 0 && !cert.ext_key_usage.includes(CLIENT_AUTH_OID)) {
    result = new CredentialError('x509: certificate specifies an incompatible key usage');
  } else {
    const u = userFromCertificate(cert);
    result = u.username ? u : new CredentialError('x509: certificate has no common name');
  }
  bySocket.set(sock, result);
  if (result instanceof CredentialError) throw result;
  return result;
}
