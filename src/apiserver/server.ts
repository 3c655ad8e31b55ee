import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Store } from '../storage/interface.js';
import { RESOURCES, type ResourceInfo } from '../api/scheme/resources.js';
import type { SchemaRegistry } from '../api/schema/types.js';
import { loadSchemaRegistry } from '../api/schema/index.js';
import { StatusError } from '../api/errors.js';
import { ResourceStore } from './registry/resource-store.js';
import { parseResourcePath } from './http/request-info.js';
import { writeError, writeJson } from './http/respond.js';
import { Discovery } from './discovery.js';
import { dispatchResource } from './handlers/dispatch.js';
import type { Registry } from './handlers/context.js';
import { ensureSystemNamespaces } from './bootstrap.js';
import { createOpenApiHandler } from './openapi/handler.js';
import { logger } from '../util/log.js';

const log = logger('apiserver');

export interface ApiServerOptions {
  store: Store;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
}

export interface RunningApiServer {
  url: string;
  port: number;
  host: string;
  registry: Registry;
  close(): Promise<void>;
}

class StoreRegistry implements Registry {
  private readonly stores = new Map<ResourceInfo, ResourceStore>();
  private schemaRegistry: SchemaRegistry | undefined;

  constructor(private readonly store: Store) {}

  storeFor(info: ResourceInfo): ResourceStore {
    let s = this.stores.get(info);
    if (!s) {
      s = new ResourceStore(info, this.store);
      this.stores.set(info, s);
    }
    return s;
  }

  schemas(): SchemaRegistry {
    this.schemaRegistry ??= loadSchemaRegistry();
    return this.schemaRegistry;
  }
}

const HEALTH_PATHS = new Set(['/healthz', '/livez', '/readyz']);

export async function startApiServer(opts: ApiServerOptions): Promise<RunningApiServer> {
  const registry = new StoreRegistry(opts.store);
  await ensureSystemNamespaces(registry);
  const discovery = new Discovery();
  let openapi: ((req: http.IncomingMessage, res: http.ServerResponse) => boolean) | undefined;

  const server = http.createServer({ keepAlive: true, requestTimeout: 0 }, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const pathname = url.pathname;
    void (async () => {
      try {
        if (HEALTH_PATHS.has(pathname) || pathname.startsWith('/healthz/') || pathname.startsWith('/livez/') || pathname.startsWith('/readyz/')) {
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
          res.end('ok');
          return;
        }
        if (pathname.startsWith('/openapi/') || pathname === '/swagger-2.0.0.pb-v1') {
          openapi ??= createOpenApiHandler(registry.schemas(), RESOURCES);
          if (openapi(req, res)) return;
        }
        const rr = parseResourcePath(req.method ?? 'GET', pathname, url.searchParams);
        if (rr) {
          await dispatchResource(req, res, rr, url.searchParams, registry);
          return;
        }
        if (req.method === 'GET' && discovery.handle(req, res, pathname)) return;
        if (pathname === '/') {
          writeJson(res, 200, { paths: ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/openapi/v2', '/openapi/v3', '/readyz', '/version'] });
          return;
        }
        throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', { causes: [{ reason: 'UnexpectedServerResponse', message: '404 page not found' }] });
      } catch (err) {
        writeError(req, res, err);
      }
    })();
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url }, 'API server listening');
  return {
    url,
    port,
    host,
    registry,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
