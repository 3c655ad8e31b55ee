import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ContainerRuntime, LogOptions } from '../../runtime/interface.js';
import type { Logger } from '../../util/log.js';
import type { StatsHandler } from './stats.js';

// The kubelet's HTTP endpoint (plain HTTP for now; TLS and authn/z come
// with the security work): /healthz and upstream's
// /containerLogs/{namespace}/{pod}/{container}, which the API server's
// pods/log proxies to, so `kubectl logs [-f] [--previous]` works.

export type ContainerLookup = (namespace: string, pod: string, container: string, previous: boolean) => Promise<{ id: string } | { status: number; message: string }>;

export interface KubeletServerOptions {
  address: string;
  port: number;
  runtime: ContainerRuntime;
  lookup: ContainerLookup;
  log: Logger;
  /** /metrics/resource and /stats/summary (see stats.ts). */
  stats?: StatsHandler;
}

export interface KubeletServer {
  port: number;
  close(): Promise<void>;
}

const truthy = (v: string | null): boolean => v === 'true' || v === '1';

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`invalid ${name}: ${JSON.stringify(v)}`);
  return n;
}

export function parseLogOptions(q: URLSearchParams, now = Date.now()): LogOptions & { previous: boolean } {
  const opts: LogOptions & { previous: boolean } = { previous: truthy(q.get('previous')), follow: truthy(q.get('follow')), timestamps: truthy(q.get('timestamps')) };
  const tail = intParam(q, 'tailLines');
  if (tail !== undefined) opts.tailLines = tail;
  const limit = intParam(q, 'limitBytes');
  if (limit !== undefined) opts.limitBytes = limit;
  const since = intParam(q, 'sinceSeconds');
  if (since !== undefined) opts.sinceMs = now - since * 1000;
  const sinceTime = q.get('sinceTime');
  if (sinceTime) {
    const t = Date.parse(sinceTime);
    if (Number.isNaN(t)) throw new Error(`invalid sinceTime: ${JSON.stringify(sinceTime)}`);
    opts.sinceMs = t;
  }
  return opts;
}

export function startKubeletServer(o: KubeletServerOptions): Promise<KubeletServer> {
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://kubelet');
    if (url.pathname === '/healthz' || url.pathname === '/healthz/ping' || url.pathname === '/healthz/syncloop') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok');
      return;
    }
    if (o.stats?.(req, res, url)) return;
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
    if (!m || req.method !== 'GET') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    const [ns, pod, container] = [m[1]!, m[2]!, m[3]!].map(decodeURIComponent) as [string, string, string];
    let opts: ReturnType<typeof parseLogOptions>;
    try {
      opts = parseLogOptions(url.searchParams);
    } catch (err) {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end((err as Error).message);
      return;
    }
    void serveLogs(o, res, ns, pod, container, opts);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.address, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

async function serveLogs(o: KubeletServerOptions, res: http.ServerResponse, ns: string, pod: string, container: string, opts: ReturnType<typeof parseLogOptions>): Promise<void> {
  let found: Awaited<ReturnType<ContainerLookup>>;
  try {
    found = await o.lookup(ns, pod, container, opts.previous);
  } catch (err) {
    found = { status: 500, message: (err as Error).message };
  }
  if (!('id' in found)) {
    res.writeHead(found.status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(found.message);
    return;
  }
  const ac = new AbortController();
  res.on('close', () => ac.abort());
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', ...(opts.follow ? { 'Transfer-Encoding': 'chunked' } : {}) });
  res.flushHeaders();
  o.runtime.logs(found.id, opts, res, ac.signal).then(
    () => res.end(),
    (err: Error) => {
      o.log.warn({ pod: `${ns}/${pod}`, container, err: err.message }, 'streaming container logs failed');
      res.end();
    },
  );
}
