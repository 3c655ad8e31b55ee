// The hollow fleet's Lease renewal PUTs, on keep-alive connections of their
// own with the least work per request that HTTP/1.1 allows. At a 1 s
// renewal, 1,000 nodes make 1,000 PUTs a second; through Node's http client
// (agent, ClientRequest, IncomingMessage, header objects, several writes
// and listeners per request) each cost the hollow-nodes process about
// 0.3 ms of CPU, more than the renewal's share of the whole kubelet. Here a
// request is one string written once (head and body in one TLS record), and
// the response is read straight off the socket: the status line, the
// framing headers and the body, nothing else.
//
// Only what a renewal needs: one server, bodies of JSON text, responses
// framed by Content-Length or chunked. Anything else (another verb, a
// fallback GET, a create, a cluster of several servers, in-process
// connections) stays with RestClient; the Lease worker decides which.
import tls from 'node:tls';
import net from 'node:net';
import type { ClientConfig } from '../client/kubeconfig.js';
import { FileTokenSource } from '../client/token.js';

export interface LeaseTransportOptions {
  /** Connections at most; a PUT past that waits for one to be free. */
  connections: number;
  /** A request without its whole response after this long fails (ETIMEDOUT) and its connection is closed. */
  timeoutMs: number;
  userAgent: string;
}

export interface PutResult {
  status: number;
  body: string;
}

/** A transport failure; `code` as Node's socket errors, so callers can tell them apart as usual. */
export class LeaseTransportError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'LeaseTransportError';
  }
}

/** Whether this transport can carry a config's requests (else RestClient must). */
export function leaseTransportSupports(c: ClientConfig): boolean {
  if (c.connect || (c.servers?.some((s) => s !== c.server) ?? false)) return false;
  try {
    const u = new URL(c.server);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

const CRLF2 = Buffer.from('\r\n\r\n');

/** Parser states of a response. */
const HEAD = 0;
const FIXED = 1;
const CHUNK_SIZE = 2;
const CHUNK_DATA = 3;
const TRAILER = 4;

interface Pending {
  /** The whole request, head and body. */
  request: string;
  /** Sent once already on a keep-alive connection that closed before answering. */
  retried: boolean;
  resolve: (r: PutResult) => void;
  reject: (err: Error) => void;
}

/** One keep-alive connection and the response it is reading, if any. */
class Conn {
  pending: Pending | undefined;
  /** Requests answered on this connection so far: a connection that answered none is not a stale keep-alive one. */
  answered = 0;
  private buf: Buffer | undefined;
  private state = HEAD;
  private status = 0;
  private remaining = 0;
  private parts: Buffer[] = [];
  private close = false;
  /** Bytes of the current response seen: a failure after the first of them is no stale connection. */
  private seen = 0;

  constructor(
    readonly socket: net.Socket,
    private readonly owner: LeaseTransport,
  ) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (err) => this.onGone(err));
    socket.on('close', () => this.onGone(new LeaseTransportError('connection closed by the server', 'ECONNRESET')));
    socket.on('timeout', () => socket.destroy(new LeaseTransportError(`no response within ${owner.opts.timeoutMs} ms`, 'ETIMEDOUT')));
  }

  send(p: Pending): void {
    this.pending = p;
    this.state = HEAD;
    this.seen = 0;
    this.close = false;
    if (this.owner.opts.timeoutMs > 0) this.socket.setTimeout(this.owner.opts.timeoutMs);
    this.socket.write(p.request);
  }

  /** Whether the current request may go again on a fresh connection: this one was kept alive and closed before answering. */
  private stale(err: Error): boolean {
    const code = (err as { code?: string }).code;
    return this.answered > 0 && this.seen === 0 && !this.pending?.retried && (code === 'ECONNRESET' || code === 'EPIPE');
  }

  private onGone(err: Error): void {
    const p = this.pending;
    const stale = p !== undefined && this.stale(err);
    this.pending = undefined;
    this.owner.forget(this);
    if (!this.socket.destroyed) this.socket.destroy();
    if (!p) return;
    if (stale) this.owner.retry(p);
    else p.reject(err);
  }

  private onData(d: Buffer): void {
    if (!this.pending) {
      // Bytes nobody asked for: the connection is out of step; drop it.
      this.socket.destroy(new LeaseTransportError('unexpected data from the server', 'EPROTO'));
      return;
    }
    this.seen += d.length;
    let b = this.buf ? Buffer.concat([this.buf, d]) : d;
    this.buf = undefined;
    let at = 0;
    for (;;) {
      if (this.state === HEAD) {
        const end = b.indexOf(CRLF2, at);
        if (end < 0) break;
        if (!this.head(b.toString('latin1', at, end))) return;
        at = end + 4;
        if (this.state === HEAD) continue; // an interim 1xx response
        if (this.state === FIXED && this.remaining === 0) return this.finish();
      } else if (this.state === FIXED) {
        const take = Math.min(this.remaining, b.length - at);
        if (take > 0) this.parts.push(b.subarray(at, at + take));
        at += take;
        this.remaining -= take;
        if (this.remaining === 0) return this.finish();
        break;
      } else if (this.state === CHUNK_SIZE || this.state === TRAILER) {
        const eol = b.indexOf('\r\n', at, 'latin1');
        if (eol < 0) break;
        const line = b.toString('latin1', at, eol);
        at = eol + 2;
        if (this.state === TRAILER) {
          if (line === '') return this.finish();
          continue;
        }
        const size = parseInt(line, 16);
        if (!Number.isFinite(size) || size < 0) {
          this.fail('bad chunk size');
          return;
        }
        if (size === 0) this.state = TRAILER;
        else {
          this.state = CHUNK_DATA;
          this.remaining = size + 2; // the chunk and its CRLF
        }
      } else {
        const take = Math.min(this.remaining, b.length - at);
        const data = Math.min(take, this.remaining - 2);
        if (data > 0) this.parts.push(b.subarray(at, at + data));
        at += take;
        this.remaining -= take;
        if (this.remaining > 0) break;
        this.state = CHUNK_SIZE;
      }
      if (at >= b.length) break;
    }
    if (at < b.length) {
      b = b.subarray(at);
      this.buf = Buffer.from(b); // what is kept must not pin the socket's larger read buffer
    }
  }

  /** Reads a response head; false once the connection was failed. */
  private head(text: string): boolean {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]!);
    if (!m) return this.fail(`bad status line ${JSON.stringify(lines[0]!.slice(0, 40))}`);
    const status = Number(m[2]);
    if (status >= 100 && status < 200) return true;
    this.status = status;
    let length = -1;
    let chunked = false;
    this.close = m[1] === '0';
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      if (name === 'content-length') length = Number(line.slice(colon + 1).trim());
      else if (name === 'transfer-encoding') chunked = /\bchunked\b/i.test(line.slice(colon + 1));
      else if (name === 'connection') {
        const v = line.slice(colon + 1).trim().toLowerCase();
        if (v === 'close') this.close = true;
        else if (v === 'keep-alive') this.close = false;
      }
    }
    this.parts = [];
    if (chunked) {
      this.state = CHUNK_SIZE;
    } else if (length >= 0 && Number.isSafeInteger(length)) {
      this.state = FIXED;
      this.remaining = length;
    } else {
      // A body that ends with the connection: not what the API server sends.
      return this.fail('response without Content-Length or chunked encoding');
    }
    return true;
  }

  private fail(why: string): false {
    this.socket.destroy(new LeaseTransportError(`bad response from the server: ${why}`, 'EPROTO'));
    return false;
  }

  private finish(): void {
    const p = this.pending!;
    const body = this.parts.length === 1 ? this.parts[0]!.toString('utf8') : Buffer.concat(this.parts).toString('utf8');
    this.parts = [];
    this.pending = undefined;
    this.state = HEAD;
    this.answered++;
    this.socket.setTimeout(0);
    if (this.close || this.buf) {
      // Closing (or out of step): answered, but not reused.
      this.owner.forget(this);
      this.socket.destroy();
    } else {
      this.owner.idle(this);
    }
    p.resolve({ status: this.status, body });
  }
}

export class LeaseTransport {
  private readonly url: URL;
  private readonly https: boolean;
  private readonly prefix: string;
  private readonly secureContext?: tls.SecureContext;
  private readonly tokenSource?: FileTokenSource;
  private readonly free: Conn[] = [];
  private readonly all = new Set<Conn>();
  /** Connections being opened. */
  private opening = 0;
  private readonly waiting: Pending[] = [];
  private closed = false;

  constructor(
    private readonly config: ClientConfig,
    readonly opts: LeaseTransportOptions,
  ) {
    if (!leaseTransportSupports(config)) throw new Error(`lease transport: cannot serve ${config.server} (several servers or an in-process connection)`);
    this.url = new URL(config.server);
    this.https = this.url.protocol === 'https:';
    this.prefix = this.url.pathname.replace(/\/$/, '');
    // One TLS context for every connection, as the RestClient's agent (see transport.ts).
    if (this.https) this.secureContext = tls.createSecureContext({ ca: config.caData, cert: config.certData, key: config.keyData });
    if (config.tokenFile) this.tokenSource = new FileTokenSource(config.tokenFile);
  }

  /** PUT body (JSON text) to path (the API path, e.g. /apis/...); resolves with any HTTP status. */
  put(path: string, body: string): Promise<PutResult> {
    if (this.closed) return Promise.reject(new LeaseTransportError('lease transport closed', 'ECONNABORTED'));
    return new Promise<PutResult>((resolve, reject) => this.dispatch({ request: this.request(path, body), retried: false, resolve, reject }));
  }

  /**
   * The request of a kept-alive connection that the server closed before
   * answering (its idle timeout crossed our write), once more on another
   * connection, as Node's agent does. Once only: a second failure is real.
   */
  retry(p: Pending): void {
    if (this.closed) return p.reject(new LeaseTransportError('lease transport closed', 'ECONNABORTED'));
    p.retried = true;
    this.dispatch(p);
  }

  /** A connection that answered and may carry the next request. */
  idle(c: Conn): void {
    const next = this.waiting.shift();
    if (next) c.send(next);
    else this.free.push(c);
  }

  /** A connection that is gone (closed, failed). */
  forget(c: Conn): void {
    if (!this.all.delete(c)) return;
    const i = this.free.indexOf(c);
    if (i >= 0) this.free.splice(i, 1);
    // Requests waiting for a connection that no opening one will take get a new one, now that there is room.
    if (!this.closed && this.waiting.length > this.opening && this.all.size + this.opening < this.opts.connections) this.open();
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.reject(new LeaseTransportError('lease transport closed', 'ECONNABORTED'));
    for (const c of [...this.all]) c.socket.destroy();
    this.all.clear();
    this.free.length = 0;
  }

  private dispatch(p: Pending): void {
    const c = this.free.pop();
    if (c) return c.send(p);
    this.waiting.push(p);
    if (this.all.size + this.opening < this.opts.connections) this.open();
  }

  private open(): void {
    this.opening++;
    const port = Number(this.url.port) || (this.https ? 443 : 80);
    const host = this.url.hostname.replace(/^\[|\]$/g, '');
    const socket = this.https
      ? tls.connect({
          host,
          port,
          secureContext: this.secureContext,
          servername: this.config.tlsServerName ?? (net.isIP(host) ? undefined : host),
          rejectUnauthorized: !this.config.insecureSkipTLSVerify,
          ALPNProtocols: ['http/1.1'],
        })
      : net.connect({ host, port });
    socket.setNoDelay(true);
    const ready = (): void => {
      socket.off('error', failed);
      this.opening--;
      const c = new Conn(socket, this);
      if (this.closed) {
        socket.destroy();
        return;
      }
      this.all.add(c);
      this.idle(c);
    };
    const failed = (err: Error): void => {
      socket.off(this.https ? 'secureConnect' : 'connect', ready);
      this.opening--;
      socket.destroy();
      // With other connections alive, the waiting requests go on those; with none, nothing would ever
      // take them: they all fail with the reason, as each would have on its own connection.
      if (this.all.size === 0 && this.opening === 0) for (const w of this.waiting.splice(0)) w.reject(err);
    };
    socket.once(this.https ? 'secureConnect' : 'connect', ready);
    socket.once('error', failed);
  }

  private request(path: string, body: string): string {
    let head = `PUT ${this.prefix}${path} HTTP/1.1\r\nHost: ${this.url.host}\r\nAccept: application/json\r\nContent-Type: application/json\r\nUser-Agent: ${this.opts.userAgent}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
    const auth = this.authHeader();
    if (auth) head += `Authorization: ${auth}\r\n`;
    return head + '\r\n' + body;
  }

  private authHeader(): string | undefined {
    const token = this.config.token ?? this.tokenSource?.get();
    if (token) return `Bearer ${token}`;
    if (this.config.username !== undefined) return `Basic ${Buffer.from(`${this.config.username}:${this.config.password ?? ''}`).toString('base64')}`;
    return undefined;
  }
}
