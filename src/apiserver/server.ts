import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { KubeletClientConfig } from './kubelet-client.js';
import { recordUpgrade } from './handlers/pod-connect.js';
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
import { serverTlsOptions, type ClusterPki } from '../pki/index.js';
import { createAuthenticator } from '../auth/authn/index.js';
import { createAuthorizer, reconcileBootstrapPolicy } from '../auth/authz/index.js';
import { admissionChain, type AdmissionPluginName } from '../auth/admission/index.js';
import type { UserInfo } from '../auth/user.js';
import { auditRequest } from './audit.js';
import type { AuditLogger } from '../auth/audit.js';
import { INSECURE_USER, authenticate, authorize, nonResourceAttributes, resourceAttributes, type Security } from './security.js';

const log = logger('apiserver');

export interface SecureOptions {
  pki: ClusterPki;
  /** --anonymous-auth: unauthenticated requests become system:anonymous instead of 401. */
  anonymous?: boolean;
  /** --token-auth-file (upstream's CSV format). */
  tokenAuthFile?: string;
  /** --disable-admission-plugins */
  disabledAdmissionPlugins?: AdmissionPluginName[];
  /** --audit-policy-file + --audit-log-path */
  audit?: AuditLogger;
}

export interface ApiServerOptions {
  store: Store;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /**
   * HTTPS with authentication, RBAC + Node authorization and admission.
   * Without it the server speaks plain HTTP and treats every caller as
   * system:masters, as upstream's insecure port did: loopback only.
   */
  secure?: SecureOptions;
  /** --insecure-port: an extra plain-HTTP listener on 127.0.0.1 that skips authentication (warned; for debugging). */
  insecurePort?: number;
  /** --kubelet-client-certificate/--kubelet-client-key/--kubelet-certificate-authority: how pods/log, exec, attach and portforward reach kubelets. */
  kubeletClient?: KubeletClientConfig;
}

export interface RunningApiServer {
  url: string;
  port: number;
  host: string;
  registry: Registry;
  security?: Security;
  close(): Promise<void>;
}

class StoreRegistry implements Registry {
  private readonly stores = new Map<ResourceInfo, ResourceStore>();
  private schemaRegistry: SchemaRegistry | undefined;

  constructor(
    private readonly store: Store,
    readonly kubeletClient?: KubeletClientConfig,
  ) {}

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

function listen(server: http.Server, port: number, host: string): Promise<void> {
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

export async function startApiServer(opts: ApiServerOptions): Promise<RunningApiServer> {
  const registry = new StoreRegistry(opts.store, opts.kubeletClient);
  await ensureSystemNamespaces(registry);
  let security: Security | undefined;
  let closeAuthz: (() => void) | undefined;
  if (opts.secure) {
    await reconcileBootstrapPolicy(registry);
    const authz = await createAuthorizer(registry);
    const admission = admissionChain(registry, { disabled: opts.secure.disabledAdmissionPlugins, cache: true });
    closeAuthz = () => {
      authz.close();
      admission.close();
      void opts.secure?.audit?.close();
    };
    security = {
      pki: opts.secure.pki,
      authz,
      authn: createAuthenticator({ pki: opts.secure.pki, registry, tokenAuthFile: opts.secure.tokenAuthFile, anonymous: opts.secure.anonymous ?? false, apiAudiences: [] }),
      admission,
      audit: opts.secure.audit,
    };
  } else if (opts.host && !['127.0.0.1', '::1', 'localhost'].includes(opts.host)) {
    throw new Error(`an insecure (plain HTTP, unauthenticated) API server may listen on loopback only, not ${opts.host}`);
  }
  const discovery = new Discovery();
  let openapi: ((req: http.IncomingMessage, res: http.ServerResponse) => boolean) | undefined;

  const handlerFor = (sec: Security | undefined) => (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const pathname = url.pathname;
    void (async () => {
      try {
        let user: UserInfo = INSECURE_USER;
        const rr = parseResourcePath(req.method ?? 'GET', pathname, url.searchParams);
        if (sec) {
          const who = await authenticate(sec, req);
          user = who.user;
          const attrs = rr ? resourceAttributes(user, rr, url.searchParams) : nonResourceAttributes(user, req.method ?? 'GET', pathname);
          if (sec.audit) auditRequest(sec.audit, req, res, attrs, who.authenticatedAs);
          authorize(sec, attrs);
        }
        if (HEALTH_PATHS.has(pathname) || pathname.startsWith('/healthz/') || pathname.startsWith('/livez/') || pathname.startsWith('/readyz/')) {
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
          res.end('ok');
          return;
        }
        if (pathname.startsWith('/openapi/') || pathname === '/swagger-2.0.0.pb-v1') {
          openapi ??= createOpenApiHandler(registry.schemas(), RESOURCES);
          if (openapi(req, res)) return;
        }
        if (rr && rr.group === 'apiextensions.k8s.io' && rr.resource === 'customresourcedefinitions' && rr.verb === 'list') {
          // k8ts serves no custom resources yet; kubectl's CRD check still needs a truthful empty answer.
          writeJson(res, 200, { kind: 'CustomResourceDefinitionList', apiVersion: 'apiextensions.k8s.io/v1', metadata: { resourceVersion: '0' }, items: [] });
          return;
        }
        if (rr) {
          await dispatchResource(req, res, rr, url.searchParams, registry, user, sec);
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
  };
  const server = security
    ? https.createServer({ ...serverTlsOptions(security.pki), keepAlive: true, requestTimeout: 0 }, handlerFor(security))
    : http.createServer({ keepAlive: true, requestTimeout: 0 }, handlerFor(undefined));
  // Streaming requests (exec, attach, port-forward: WebSocket or SPDY) arrive as upgrades; they take the
  // same authentication, authorization and audit path as any request, on a response bound to the raw socket.
  const upgraded = new Set<Duplex>();
  const onUpgrade = (handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) => (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => undefined);
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    recordUpgrade(req, socket, head);
    const res = new http.ServerResponse(req);
    res.assignSocket(socket as Socket);
    res.shouldKeepAlive = false;
    res.once('finish', () => socket.end());
    handler(req, res);
  };
  server.on('upgrade', onUpgrade(handlerFor(security)));
  const servers: http.Server[] = [server];
  const host = opts.host ?? '127.0.0.1';
  await listen(server, opts.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  const url = `${security ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url }, 'API server listening');
  if (security && opts.insecurePort !== undefined) {
    const plain = http.createServer({ keepAlive: true, requestTimeout: 0 }, handlerFor(undefined));
    plain.on('upgrade', onUpgrade(handlerFor(undefined)));
    await listen(plain, opts.insecurePort, '127.0.0.1');
    servers.push(plain);
    log.warn({ url: `http://127.0.0.1:${(plain.address() as AddressInfo).port}` }, 'insecure port open: requests on it skip authentication and authorization');
  }
  return {
    url,
    port,
    host,
    registry,
    security,
    close: () => {
      for (const s of upgraded) s.destroy();
      return Promise.all(
        servers.map(
          (srv) =>
            new Promise<void>((resolve) => {
              srv.close(() => resolve());
              srv.closeAllConnections();
            }),
        ),
      ).then(() => closeAuthz?.());
    },
  };
}
