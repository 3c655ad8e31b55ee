// A small Docker Engine API client over node:http: JSON calls, raw streams
// and hijacked (upgraded) connections, nothing more. The daemon is found at
// DOCKER_HOST (unix:// or tcp://, no TLS) or /var/run/docker.sock.
import { Agent, request, type IncomingMessage, type RequestOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { RuntimeError } from '../interface.js';

/** The API version we speak; older daemons get their own (lower) version instead. */
const PREFERRED_API = '1.41';

export interface DockerEndpoint {
  socketPath?: string;
  host?: string;
  port?: number;
}

export function endpointFromEnv(env: NodeJS.ProcessEnv = process.env): DockerEndpoint {
  const raw = env.DOCKER_HOST;
  if (!raw) return { socketPath: '/var/run/docker.sock' };
  if (raw.startsWith('unix://')) return { socketPath: raw.slice('unix://'.length) };
  if (raw.startsWith('tcp://') || raw.startsWith('http://')) {
    const url = new URL(raw.replace(/^tcp:/, 'http:'));
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  if (raw.startsWith('/')) return { socketPath: raw };
  throw new RuntimeError('InvalidConfig', `unsupported DOCKER_HOST ${JSON.stringify(raw)} (want unix:///path or tcp://host:port)`);
}

/** An HTTP error answered by the daemon, with Docker's own message. */
export class DockerApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'DockerApiError';
  }
}

export type Query = Record<string, string | number | boolean | string[] | undefined>;

export interface CallOptions {
  query?: Query;
  body?: unknown;
  /** A raw request body (e.g. a tar stream) sent instead of JSON. */
  stream?: Readable;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export class DockerClient {
  private readonly agent: Agent;
  private apiVersion: Promise<string> | undefined;

  constructor(readonly endpoint: DockerEndpoint = endpointFromEnv()) {
    // keepAlive: the kubelet polls status often; a fresh connection per call is wasted work.
    // No socket cap: log follows and stops hold connections for long, and must not starve status calls.
    this.agent = new Agent({ keepAlive: true });
  }

  /** JSON request; resolves with the parsed body (undefined for empty bodies). */
  async call<T = unknown>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    const text = await readAll(res);
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      return text as T;
    }
  }

  /** Starts a request and resolves with the response stream once the daemon answered 2xx. */
  async send(method: string, path: string, opts: CallOptions = {}): Promise<IncomingMessage> {
    const req = request(await this.requestOptions(method, path, opts));
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', (err) => reject(this.transportError(err)));
    });
    this.writeBody(req, opts);
    const res = await response;
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    throw new DockerApiError(status, errorMessage(await readAll(res), status));
  }

  /**
   * Upgrades the connection to a raw bidirectional stream (docker's "hijack"),
   * as exec start and attach need. Resolves with the socket and any bytes
   * already read past the response head.
   */
  async hijack(path: string, body: unknown): Promise<{ socket: Socket; head: Buffer }> {
    const opts = await this.requestOptions('POST', path, {
      body,
      headers: { Connection: 'Upgrade', Upgrade: 'tcp' },
    });
    // The agent would try to reuse an upgraded socket; a private connection avoids that.
    opts.agent = false;
    const req = request(opts);
    return new Promise((resolve, reject) => {
      req.once('upgrade', (_res, socket, head) => resolve({ socket, head }));
      req.once('response', (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        readAll(res).then(
          (text) =>
            reject(
              status >= 200 && status < 300
                ? new RuntimeError('Unavailable', `the Docker daemon did not upgrade the connection for ${path}`)
                : new DockerApiError(status, errorMessage(text, status)),
            ),
          reject,
        );
      });
      req.once('error', (err) => reject(this.transportError(err)));
      req.end(JSON.stringify(body));
    });
  }

  close(): void {
    this.agent.destroy();
  }

  /** The API version prefix to use, negotiated once with GET /version. */
  private async versionPrefix(): Promise<string> {
    this.apiVersion ??= (async () => {
      const res = await this.rawVersion();
      const server = String(res.ApiVersion ?? PREFERRED_API);
      return compareVersions(server, PREFERRED_API) < 0 ? server : PREFERRED_API;
    })();
    try {
      return `/v${await this.apiVersion}`;
    } catch (err) {
      // A daemon that was down must not poison every later call.
      this.apiVersion = undefined;
      throw err;
    }
  }

  private async rawVersion(): Promise<Record<string, unknown>> {
    const req = request({ ...this.base(), method: 'GET', path: '/version' });
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', (err) => reject(this.transportError(err)));
      req.end();
    });
    const text = await readAll(res);
    if ((res.statusCode ?? 0) >= 300) throw new DockerApiError(res.statusCode ?? 0, errorMessage(text, res.statusCode ?? 0));
    return JSON.parse(text) as Record<string, unknown>;
  }

  private base(): RequestOptions {
    const { socketPath, host, port } = this.endpoint;
    return socketPath ? { socketPath, agent: this.agent } : { host, port, agent: this.agent };
  }

  private async requestOptions(method: string, path: string, opts: CallOptions): Promise<RequestOptions> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.stream) headers['Content-Type'] = opts.contentType ?? 'application/x-tar';
    else if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    return {
      ...this.base(),
      method,
      path: (await this.versionPrefix()) + path + queryString(opts.query),
      headers,
      signal: opts.signal,
    };
  }

  private writeBody(req: ReturnType<typeof request>, opts: CallOptions): void {
    if (opts.stream) {
      opts.stream.on('error', (err) => req.destroy(err));
      opts.stream.pipe(req);
    } else {
      req.end(opts.body === undefined ? undefined : JSON.stringify(opts.body));
    }
  }

  private transportError(err: Error): Error {
    const code = (err as NodeJS.ErrnoException).code;
    if (err.name === 'AbortError') return err;
    if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES' || code === 'ECONNRESET') {
      const where = this.endpoint.socketPath ?? `${this.endpoint.host}:${this.endpoint.port}`;
      return new RuntimeError('Unavailable', `cannot reach the Docker daemon at ${where}: ${err.message}`);
    }
    return err;
  }
}

export function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      for (const item of v) params.append(k, item);
      continue;
    }
    params.append(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function errorMessage(text: string, status: number): string {
  try {
    const parsed = JSON.parse(text) as { message?: string };
    if (parsed.message) return parsed.message;
  } catch {
    // not JSON: use the text as is
  }
  return text.trim() || `Docker API answered HTTP ${status}`;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
