import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { Socket } from 'node:net';
import type { ClientConfig } from './kubeconfig.js';
import { FileTokenSource } from './token.js';
import { responseError } from './status.js';
import { TokenBucket } from './ratelimit.js';
import { sleep } from './clock.js';
import { logger } from '../util/log.js';

// The HTTP layer under RestClient: one keep-alive agent per client, auth
// headers, the client-side QPS throttle, timeouts and the narrow retry
// policy (a request is only re-sent when the server cannot have acted on it).

const log = logger('client');

export interface TransportOptions {
  userAgent: string;
  /** Requests per second after the burst; <= 0 disables throttling. */
  qps: number;
  burst: number;
  /** Per-request timeout for non-streaming requests (ms); 0 disables. */
  timeoutMs: number;
  /** Extra attempts for requests that are safe to repeat. */
  maxRetries: number;
  /**
   * Connections for requests at most (default: no limit); more callers in
   * flight wait for a free one. Every open TLS connection costs native
   * memory; a process with thousands of callers in flight (hollow nodes)
   * queues them on a few connections instead. Streams (watches, followed
   * logs) hold connections of their own, not counted here: as many watches
   * as the limit would otherwise leave no connection for a request.
   */
  maxSockets?: number;
}

export interface RawResponse {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface SendOptions {
  body?: string | Buffer;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

const CONNECTION_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);

// The request never reached that server: safe to send to another one, whatever the method.
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);

// A path (with its query) the URL parser would leave exactly as it is: one leading slash (two would name a
// host), no dot segments (plain or percent-encoded), no empty query, and none of backslash, space, quotes,
// '#' or non-ASCII. Such a path needs no URL object per request.
const PLAIN_PATH = /^\/(?!\/)[\w\-.~%!$&()*+,;=:@/?]*$/;
const NOT_PLAIN = /\/\.{1,2}(?:[/?]|$)|%2e|\?$/i;

function plainPath(path: string): boolean {
  return PLAIN_PATH.test(path) && !NOT_PLAIN.test(path);
}

/** The parts of a server URL a request needs, as url.urlToHttpOptions would give them; undefined when it carries credentials. */
interface Target {
  protocol: string;
  hostname: string;
  port: number | undefined;
  prefix: string;
}

function targetOf(u: URL): Target | undefined {
  if (u.username || u.password) return undefined;
  const hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { protocol: u.protocol, hostname, port: u.port === '' ? undefined : Number(u.port), prefix: u.pathname.replace(/\/$/, '') };
}

function notConnected(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return !!code && NOT_CONNECTED.has(code);
}

function isConnectionError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return !!code && CONNECTION_ERRORS.has(code);
}

export class Transport {
  /** The API servers this client may use: config.server first, then config.servers. */
  readonly endpoints: URL[];
  /** Index of the server requests go to now; moves on when it cannot be reached. */
  private current = 0;
  private agent: http.Agent;
  /** Streams (watches, followed logs) hold their connections for long: not counted against maxSockets. */
  private streamAgent: http.Agent;
  private readonly mod: typeof http | typeof https;
  private readonly tokenSource?: FileTokenSource;
  readonly limiter: TokenBucket;
  /** Per server URL, its request parts, so a request does not parse a URL (a scheduler sends two per pod). */
  private readonly targets = new WeakMap<URL, Target | null>();

  constructor(
    readonly config: ClientConfig,
    readonly opts: TransportOptions,
  ) {
    this.endpoints = [config.server, ...(config.servers ?? [])].filter((u, i, all) => all.indexOf(u) === i).map((u) => new URL(u));
    const isHttps = this.endpoints[0]!.protocol === 'https:';
    if (this.endpoints.some((u) => u.protocol !== this.endpoints[0]!.protocol)) throw new Error('kubeconfig: every server of a cluster must use the same scheme');
    this.mod = isHttps ? https : http;
    this.agent = this.newAgent(opts.maxSockets);
    this.streamAgent = this.newAgent(undefined);
    if (config.tokenFile) this.tokenSource = new FileTokenSource(config.tokenFile);
    this.limiter = new TokenBucket(opts.qps, opts.burst);
  }

  /** The server requests go to now. */
  get base(): URL {
    return this.endpoints[this.current]!;
  }

  /** After a failure to reach `failed`, move to the next server (once per failure, however many requests saw it). */
  private failOver(failed: URL, err: unknown): boolean {
    if (this.endpoints.length < 2) return false;
    if (this.base === failed) {
      this.current = (this.current + 1) % this.endpoints.length;
      log.warn({ from: failed.origin, to: this.base.origin, err: (err as Error).message }, 'API server unreachable; failing over');
    }
    return true;
  }

  /** open() on the current server, moving on to the others while none of them could be reached. */
  private async openAny(method: string, path: string, o: SendOptions, streaming = false): Promise<{ res: http.IncomingMessage; req: http.ClientRequest }> {
    for (let tried = 0; ; tried++) {
      const target = this.base;
      try {
        return await this.open(method, path, o, target, streaming);
      } catch (err) {
        if (!notConnected(err) || tried + 1 >= this.endpoints.length || !this.failOver(target, err)) throw err;
      }
    }
  }

  private authHeader(): string | undefined {
    const token = this.config.token ?? this.tokenSource?.get();
    if (token) return `Bearer ${token}`;
    if (this.config.username !== undefined) {
      return `Basic ${Buffer.from(`${this.config.username}:${this.config.password ?? ''}`).toString('base64')}`;
    }
    return undefined;
  }

  /** Start a request and resolve with the response head; the body is the caller's to read. */
  open(method: string, path: string, o: SendOptions = {}, target: URL = this.base, streaming = false): Promise<{ res: http.IncomingMessage; req: http.ClientRequest }> {
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': this.opts.userAgent, ...o.headers };
    const auth = this.authHeader();
    if (auth && !headers.Authorization) headers.Authorization = auth;
    if (o.body !== undefined) {
      headers['Content-Type'] ??= 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(o.body));
    }
    return new Promise((resolve, reject) => {
      const connect = this.config.connect;
      // In-process: a fresh in-memory connection per request (nothing to pool without a handshake to save),
      // presenting the certificate of the moment (a rotated one included).
      const agent = streaming ? this.streamAgent : this.agent;
      let t = this.targets.get(target);
      if (t === undefined) this.targets.set(target, (t = targetOf(target) ?? null));
      const url = (): URL => new URL(target.pathname.replace(/\/$/, '') + path, target);
      const req = connect
        ? http.request(Object.assign(url(), { protocol: 'http:' }), { method, headers, createConnection: () => connect(this.config.certData) as Socket, signal: o.signal })
        : t && plainPath(path)
          ? this.mod.request({ protocol: t.protocol, hostname: t.hostname, port: t.port, path: t.prefix + path, method, headers, agent, signal: o.signal })
          : this.mod.request(url(), { method, headers, agent, signal: o.signal });
      if (o.timeoutMs) {
        req.setTimeout(o.timeoutMs, () => {
          const err = new Error(`request timed out after ${o.timeoutMs}ms: ${method} ${path}`) as NodeJS.ErrnoException;
          err.code = 'ETIMEDOUT';
          req.destroy(err);
        });
      }
      req.once('response', (res) => resolve({ res, req }));
      // on, not once: a request may emit a second error (a reset after a timeout), which must not go unhandled.
      req.on('error', (err) => {
        // A kept-alive socket the server closed while idle fails before the
        // request reached it; tag it so any method may be re-sent.
        if (req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET') (err as { staleSocket?: boolean }).staleSocket = true;
        reject(err);
      });
      req.end(o.body);
    });
  }

  private async once(method: string, path: string, o: SendOptions): Promise<RawResponse> {
    const { res, req } = await this.openAny(method, path, { ...o, timeoutMs: o.timeoutMs ?? this.opts.timeoutMs });
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => resolve());
      res.once('error', reject);
      res.once('aborted', () => reject(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
      req.once('error', reject);
    });
    return { statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
  }

  /** Send a request with throttling and retries; never throws for HTTP error codes. */
  async send(method: string, path: string, o: SendOptions = {}): Promise<RawResponse> {
    const idempotent = method === 'GET' || method === 'HEAD';
    for (let attempt = 0; ; attempt++) {
      await this.limiter.wait(o.signal);
      try {
        const r = await this.once(method, path, o);
        const retryAfter = Number(r.headers['retry-after']);
        if ((r.statusCode === 429 || (r.statusCode >= 500 && idempotent)) && retryAfter > 0 && attempt < this.opts.maxRetries) {
          log.debug({ method, path, status: r.statusCode, retryAfter }, 'server asked to retry');
          await sleep(Math.min(retryAfter, 10) * 1000, o.signal);
          continue;
        }
        return r;
      } catch (err) {
        const stale = (err as { staleSocket?: boolean }).staleSocket === true;
        const retriable = !o.signal?.aborted && (stale || (idempotent && isConnectionError(err)));
        // A server that went away mid-request (reset, timeout): repeatable requests move on to the next server.
        if (retriable && !stale && this.endpoints.length > 1) this.failOver(this.base, err);
        if (!retriable || attempt >= this.opts.maxRetries) throw err;
        log.debug({ method, path, err: (err as Error).message, attempt }, 'retrying request after connection error');
        if (!stale) await sleep(Math.min(100 * 2 ** attempt, 2000), o.signal);
      }
    }
  }

  /** Send and decode JSON; HTTP errors become StatusError. */
  async json<T>(method: string, path: string, o: SendOptions = {}): Promise<T> {
    const r = await this.send(method, path, o);
    const text = r.body.toString('utf8');
    if (r.statusCode >= 400 || r.statusCode < 200) throw responseError(r.statusCode, text);
    if (!text) return undefined as T;
    const ct = String(r.headers['content-type'] ?? '');
    if (ct && !ct.includes('json')) return text as T;
    return JSON.parse(text) as T;
  }

  /** Open a long-lived response (watch, log follow); throws StatusError for HTTP errors. */
  async stream(path: string, o: SendOptions = {}): Promise<{ res: http.IncomingMessage; req: http.ClientRequest }> {
    await this.limiter.wait(o.signal);
    const r = await this.openAny('GET', path, o, true);
    const code = r.res.statusCode ?? 0;
    if (code >= 400) {
      const chunks: Buffer[] = [];
      for await (const c of r.res) chunks.push(c as Buffer);
      throw responseError(code, Buffer.concat(chunks).toString('utf8'));
    }
    return r;
  }

  /**
   * A rotated client certificate (the kubelet's certificate manager): new
   * connections present it, and the open ones are closed so watches and
   * keep-alive requests reconnect with it, as upstream's closeAllConns.
   */
  setClientCertificate(certPem: Buffer, keyPem: Buffer): void {
    const old = [this.agent, this.streamAgent];
    this.config.certData = certPem;
    this.config.keyData = keyPem;
    this.agent = this.newAgent(this.opts.maxSockets);
    this.streamAgent = this.newAgent(undefined);
    for (const a of old) a.destroy();
  }

  /**
   * One TLS context for every connection of the agent. Given ca, cert and
   * key, tls.connect parses all three again for each new connection (a few
   * ms of CPU, paid for each of the dozens of connections a burst of
   * concurrent requests opens), and the agent's pool key, rebuilt on every
   * request, would carry the whole PEM text.
   */
  private newAgent(maxSockets: number | undefined): http.Agent {
    return this.mod === https ? this.httpsAgent(maxSockets) : new http.Agent({ keepAlive: true, maxSockets });
  }

  private httpsAgent(maxSockets: number | undefined): https.Agent {
    const material = { ca: this.config.caData, cert: this.config.certData, key: this.config.keyData };
    let tlsOptions: https.AgentOptions;
    try {
      tlsOptions = { secureContext: tls.createSecureContext(material) };
    } catch {
      // Unusable material (a key that does not match its certificate) fails each request, as before, not the client's construction.
      tlsOptions = material;
    }
    return new https.Agent({ keepAlive: true, maxSockets, ...tlsOptions, rejectUnauthorized: !this.config.insecureSkipTLSVerify, servername: this.config.tlsServerName });
  }

  close(): void {
    this.agent.destroy();
    this.streamAgent.destroy();
  }
}
