import type http from 'node:http';
import { Duplex } from 'node:stream';
import { X509Certificate } from 'node:crypto';
import type { UserInfo } from '../auth/user.js';
import { CredentialError } from '../auth/authn/errors.js';
import { CLIENT_AUTH_OID } from '../pki/oids.js';

// The components `k8ts server` runs in its own process (controller manager,
// scheduler, DNS) reach the API server over a pair of in-memory streams
// instead of a loopback TLS connection. Each informer watch holds a
// connection for as long as it runs, and HTTP/1.1 cannot multiplex them as
// client-go's HTTP/2 does: 40-odd TLS connections, both ends' OpenSSL state in
// this process, were ~10 MB of an idle server. The requests are still HTTP/1.1
// parsed by Node's HTTP server and go through the same handler chain
// (authentication, audit, impersonation, max-in-flight, authorization,
// admission); only the TLS layer is gone. The client presents its
// certificate when it opens a connection, the server verifies it against the
// cluster CA as a handshake would, and x509 authentication sees what it
// proves; bearer tokens travel in headers as over TLS. A client without a
// certificate (the controllers' service account clients) authenticates with
// its token alone.

/** One end of an in-memory byte pipe; what it writes, its peer reads. */
class PipeSocket extends Duplex {
  peer: PipeSocket | undefined;
  // Loopback, as the same components reached the server over TCP before (audit's sourceIPs).
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 0;

  constructor() {
    super({ allowHalfOpen: false });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const peer = this.peer;
    if (!peer || peer.destroyed) {
      cb(Object.assign(new Error('in-process connection closed'), { code: 'ECONNRESET' }));
      return;
    }
    // Backpressure as over TCP: a reader that stops reading stops the writer once its buffer is full,
    // so the API server's slow-watcher handling sees the same full socket.
    if (peer.push(chunk)) cb();
    else peer.resumeWriter = cb;
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.peer?.push(null);
    cb();
  }

  /** The peer's write callback, held while this end's read buffer is full. */
  resumeWriter: ((err?: Error | null) => void) | undefined;

  override _read(): void {
    const resume = this.resumeWriter;
    this.resumeWriter = undefined;
    resume?.();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const peer = this.peer;
    this.peer = undefined;
    // The other side sees what a TCP peer sees when the connection goes: the end of its input, then close.
    if (peer && !peer.destroyed) {
      peer.peer = undefined;
      peer.destroy();
    }
    // A write of the peer's held for this end's reader is released (into a destroyed stream).
    const resume = this.resumeWriter;
    this.resumeWriter = undefined;
    resume?.();
    cb(err);
  }

  // What Node's HTTP client and server call on a net.Socket: nothing to do without a kernel socket.
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

const peers = new WeakMap<Duplex, UserInfo | CredentialError>();

/**
 * What the client certificate of an in-process connection proves: its user,
 * or why it is refused (as a certificate TLS could not verify); undefined for
 * a connection without one and for any other socket.
 */
export function inProcessPeer(socket: unknown): UserInfo | CredentialError | undefined {
  return socket instanceof PipeSocket ? peers.get(socket) : undefined;
}

interface Verified {
  user: UserInfo;
  validFrom: number;
  validTo: number;
}

/** The checks TLS client authentication makes (issued by the CA, usable for client auth), and the user the certificate names, as x509.ts's userFromCertificate. */
function verify(certPem: string, ca: X509Certificate): Verified | CredentialError {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    return new CredentialError(`x509: ${(err as Error).message}`);
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return new CredentialError('x509: certificate signed by unknown authority');
  const eku = cert.keyUsage;
  if (eku && eku.length > 0 && !eku.includes(CLIENT_AUTH_OID)) return new CredentialError('x509: certificate specifies an incompatible key usage');
  const fields = cert.subject.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const);
  const username = fields.find(([k]) => k === 'CN')?.[1] ?? '';
  if (!username) return new CredentialError('x509: certificate has no common name');
  return { user: { username, groups: fields.filter(([k]) => k === 'O').map(([, v]) => v) }, validFrom: Date.parse(cert.validFrom), validTo: Date.parse(cert.validTo) };
}

/** Opens a connection, presenting the client certificate (PEM) if given, as a TLS handshake would. */
export type Connect = (clientCertPem?: string | Buffer) => Duplex;

/**
 * Connections into `server` (an HTTP server that never listens, serving the
 * API server's handler): each call returns the client's end of a new one.
 * A certificate presented is verified against `caPem` (once per distinct
 * certificate; its validity period on every connection, as each handshake
 * checks it) and what it proves is what x509 authentication sees on that
 * connection; a server without a CA (insecure) ignores it, as it would ignore
 * TLS.
 */
export function inProcessConnector(server: http.Server, open: Set<Duplex>, caPem: string | undefined): Connect {
  const ca = caPem ? new X509Certificate(caPem) : undefined;
  const verified = new Map<string, Verified | CredentialError>();
  return (clientCertPem) => {
    const client = new PipeSocket();
    const end = new PipeSocket();
    client.peer = end;
    end.peer = client;
    if (ca && clientCertPem) {
      const pem = clientCertPem.toString();
      let v = verified.get(pem);
      if (!v) verified.set(pem, (v = verify(pem, ca)));
      const now = Date.now();
      if (v instanceof CredentialError) peers.set(end, v);
      else if (now < v.validFrom || now > v.validTo) peers.set(end, new CredentialError('x509: certificate has expired or is not yet valid'));
      else peers.set(end, v.user);
    }
    open.add(end);
    end.once('close', () => open.delete(end));
    server.emit('connection', end);
    return client;
  };
}
