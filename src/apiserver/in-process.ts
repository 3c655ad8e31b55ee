import type http from 'node:http';
import { Duplex } from 'node:stream';
import { X509Certificate } from 'node:crypto';
import type { UserInfo } from '../auth/user.js';

// The components `k8ts server` runs in its own process (controller manager,
// scheduler, DNS) reach the API server over a pair of in-memory streams
// instead of a loopback TLS connection. Each informer watch holds a
// connection for as long as it runs, and HTTP/1.1 cannot multiplex them as
// client-go's HTTP/2 does: 40-odd TLS connections, both ends' OpenSSL state in
// this process, were ~10 MB of an idle server. The requests are still HTTP/1.1
// parsed by Node's HTTP server and go through the same handler chain
// (authentication, audit, impersonation, max-in-flight, authorization,
// admission); only the TLS layer is gone. A client certificate, which TLS
// would verify during the handshake, is verified once against the cluster CA
// when the connector is made, and its user is what x509 authentication sees
// on every connection the connector opens. Bearer tokens travel in headers as
// over TLS.

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
    if (!this.peer || this.peer.destroyed) {
      cb(Object.assign(new Error('in-process connection closed'), { code: 'ECONNRESET' }));
      return;
    }
    this.peer.push(chunk);
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.peer?.push(null);
    cb();
  }

  override _read(): void {
    // Data arrives when the peer writes.
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const peer = this.peer;
    this.peer = undefined;
    // The other side sees what a TCP peer sees when the connection goes: the end of its input, then close.
    if (peer && !peer.destroyed) {
      peer.peer = undefined;
      peer.destroy();
    }
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

const users = new WeakMap<Duplex, UserInfo>();

/** The user of an in-process connection made with a client certificate; undefined for any other socket. */
export function inProcessUser(socket: unknown): UserInfo | undefined {
  return socket instanceof PipeSocket ? users.get(socket) : undefined;
}

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

/** The user a client certificate names, after the checks TLS client authentication makes (issued by the CA, usable for client auth), and its validity period. */
function certificateUser(certPem: string | Buffer, caPem: string | Buffer): { user: UserInfo; validFrom: number; validTo: number } {
  const cert = new X509Certificate(certPem);
  const ca = new X509Certificate(caPem);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw new Error('in-process client certificate is not signed by the cluster CA');
  const eku = cert.keyUsage;
  if (eku && eku.length > 0 && !eku.includes(CLIENT_AUTH_OID)) throw new Error('in-process client certificate specifies an incompatible key usage');
  const fields = cert.subject.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const);
  const username = fields.find(([k]) => k === 'CN')?.[1] ?? '';
  if (!username) throw new Error('in-process client certificate has no common name');
  return { user: { username, groups: fields.filter(([k]) => k === 'O').map(([, v]) => v) }, validFrom: Date.parse(cert.validFrom), validTo: Date.parse(cert.validTo) };
}

export type Connect = () => Duplex;

/**
 * Connections into `server` (an HTTP server that never listens, serving the
 * API server's handler): each call returns the client's end of a new one. With
 * a client certificate, its user authenticates every request on them, as a
 * verified certificate does over TLS.
 */
export function inProcessConnector(server: http.Server, open: Set<Duplex>, clientCert?: { certPem: string | Buffer; caPem: string | Buffer }): Connect {
  const cert = clientCert ? certificateUser(clientCert.certPem, clientCert.caPem) : undefined;
  return () => {
    // Checked per connection, as a TLS handshake would: an expired certificate authenticates no new connection.
    const now = Date.now();
    const user = cert && now >= cert.validFrom && now <= cert.validTo ? cert.user : undefined;
    const client = new PipeSocket();
    const end = new PipeSocket();
    client.peer = end;
    end.peer = client;
    if (user) users.set(end, user);
    open.add(end);
    end.once('close', () => open.delete(end));
    server.emit('connection', end);
    return client;
  };
}
