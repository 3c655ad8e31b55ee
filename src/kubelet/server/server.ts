import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { ContainerRuntime } from '../../runtime/interface.js';
import type { Logger } from '../../util/log.js';
import type { Pod } from '../api-types.js';
import { rejectUpgrade } from '../streaming/reject.js';
import { checkClient, type KubeletServingTls } from './auth.js';
import { logRoutes } from './logs.js';
import { textReply, type ContainerLookup, type KubeletRoute, type KubeletServerContext } from './routes.js';
import { streamingRoutes } from './streaming.js';
import type { StatsHandler } from './stats.js';

// The kubelet's endpoint (upstream's :10250): HTTPS with the node's serving
// certificate, and only the API server's kubelet-client identity let in
// (auth.ts). Routes live in their own files and are listed here. /healthz
// answers anyone, as upstream's separate healthz port does. Without TLS
// options (tests of the kubelet alone, insecure test API servers) it
// speaks plain HTTP and checks no one.

export type { ContainerLookup, KubeletRoute, KubeletServerContext } from './routes.js';
export type { KubeletServingTls } from './auth.js';
export { parseLogOptions } from './logs.js';

/** Every route the kubelet serves: add a route file's list here. */
const ROUTES: KubeletRoute[] = [...logRoutes, ...streamingRoutes];

export interface KubeletServerOptions {
  address: string;
  port: number;
  runtime: ContainerRuntime;
  lookup: ContainerLookup;
  /** The pods the kubelet runs (for exec, attach, port-forward). */
  pods?: () => Pod[];
  tls?: KubeletServingTls;
  /** Extra routes (tests, other components). */
  routes?: KubeletRoute[];
  /** /metrics/resource and /stats/summary (stats.ts), behind the same client check as every route. */
  stats?: StatsHandler;
  log: Logger;
}

export interface KubeletServer {
  port: number;
  /** 'https' when serving TLS. */
  scheme: 'http' | 'https';
  close(): Promise<void>;
}

const HEALTH = new Set(['/healthz', '/healthz/ping', '/healthz/syncloop']);

/** Upstream's attribute for the authorizer: the path's first segment names the subresource. */
function subresourceOf(pathname: string): string {
  const first = pathname.split('/')[1] ?? '';
  return first === 'containerLogs' ? 'log' : first === 'stats' || first === 'metrics' ? first : 'proxy';
}

function match(routes: KubeletRoute[], method: string, pathname: string): { route: KubeletRoute; params: string[] } | 'method' | undefined {
  let wrongMethod = false;
  for (const route of routes) {
    const m = route.path.exec(pathname);
    if (!m) continue;
    if (!(route.methods ?? ['GET']).includes(method)) {
      wrongMethod = true;
      continue;
    }
    return { route, params: m.slice(1).map((p) => decodeURIComponent(p ?? '')) };
  }
  return wrongMethod ? 'method' : undefined;
}

export function startKubeletServer(o: KubeletServerOptions): Promise<KubeletServer> {
  const routes = [...ROUTES, ...(o.routes ?? [])];
  const ctx: KubeletServerContext = { runtime: o.runtime, lookup: o.lookup, pods: o.pods ?? (() => []), log: o.log };
  const sockets = new Set<Duplex>();
  const track = (s: Duplex): void => {
    if (sockets.has(s)) return;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };

  const allowed = (socket: Socket, method: string, pathname: string): { status: number; message: string } | undefined => {
    if (!o.tls) return undefined;
    const c = checkClient(socket as TLSSocket, o.tls, method === 'GET' ? 'get' : 'create', subresourceOf(pathname));
    return c.ok ? undefined : { status: c.status, message: c.message };
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://kubelet');
    if (HEALTH.has(url.pathname)) return textReply(res, 200, 'ok');
    const denied = allowed(req.socket, req.method ?? 'GET', url.pathname);
    if (denied) return textReply(res, denied.status, denied.message);
    if (o.stats?.(req, res, url)) return;
    const found = match(routes, req.method ?? 'GET', url.pathname);
    if (found === 'method') return textReply(res, 405, 'Method Not Allowed');
    if (!found) return textReply(res, 404, '404 page not found\n');
    if (!found.route.handle) return textReply(res, 400, 'Upgrade request required');
    Promise.resolve(found.route.handle(req, res, found.params, url, ctx)).catch((err: Error) => {
      o.log.warn({ path: url.pathname, err: err.message }, 'kubelet request failed');
      if (!res.headersSent) textReply(res, 500, err.message);
      else res.destroy();
    });
  };

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    track(socket);
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://kubelet');
    const denied = allowed(req.socket, req.method ?? 'GET', url.pathname);
    if (denied) return rejectUpgrade(socket, denied.status, denied.message);
    const found = match(routes, req.method ?? 'GET', url.pathname);
    if (found === 'method') return rejectUpgrade(socket, 405, 'Method Not Allowed');
    if (!found || !found.route.upgrade) return rejectUpgrade(socket, 404, '404 page not found\n');
    Promise.resolve(found.route.upgrade(req, socket, head, found.params, url, ctx)).catch((err: Error) => {
      o.log.warn({ path: url.pathname, err: err.message }, 'kubelet streaming request failed');
      rejectUpgrade(socket, 500, err.message);
    });
  };

  const server = o.tls
    ? https.createServer({ cert: o.tls.certPem, key: o.tls.keyPem, ca: o.tls.clientCaPem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'] }, onRequest)
    : http.createServer(onRequest);
  server.on('upgrade', onUpgrade);
  server.on(o.tls ? 'secureConnection' : 'connection', (s: Socket) => track(s));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.address, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        scheme: o.tls ? 'https' : 'http',
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
