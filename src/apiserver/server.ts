import http from 'node:http';
import { anonymousAllowedFor } from '../auth/authn/anonymous.js';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { closeKubeletSpares, type KubeletClientConfig } from './kubelet-client.js';
import { recordUpgrade } from './handlers/pod-connect.js';
import { inProcessConnector, type Connect } from './in-process.js';
import type { Store } from '../storage/interface.js';
import { RESOURCES, resourceFor, type ResourceInfo } from '../api/scheme/resources.js';
import type { SchemaRegistry } from '../api/schema/types.js';
import { loadSchemaRegistry } from '../api/schema/index.js';
import { StatusError } from '../api/errors.js';
import { ResourceStore } from './registry/resource-store.js';
import { parseResourcePath } from './http/request-info.js';
import { writeError, writeJson } from './http/respond.js';
import { Discovery } from './discovery.js';
import { dispatchResource } from './handlers/dispatch.js';
import type { Registry } from './handlers/context.js';
import { ensureSystemNamespaces, ensureSystemPriorityClasses } from './bootstrap.js';
import { logger } from '../util/log.js';
import { serverTlsOptions, type ClusterPki } from '../pki/index.js';
import { createAuthenticator, impersonate, unauthorized } from '../auth/authn/index.js';
import { createAuthorizer, reconcileBootstrapPolicy } from '../auth/authz/index.js';
import { admissionChain, type AdmissionPluginName } from '../auth/admission/index.js';
import type { UserInfo } from '../auth/user.js';
import { auditFailedAuthentication, auditRequest } from './audit.js';
import type { AuditLogger } from '../auth/audit.js';
import { metricsServiceFor, type MetricsOptions } from './metrics/service.js';
import { ServiceStore } from './registry/service/service-store.js';
import { ServiceAllocators } from './registry/service/allocators.js';
import { RangeAllocator } from './registry/service/range-allocator.js';
import { IPRange, PortRange } from './registry/service/ranges.js';
import { ipRepair, portRepair } from './registry/service/repair.js';
import { startKubernetesService, type KubernetesServiceController } from './controlplane/kubernetes-service.js';
import type { TolerationDefaults } from '../auth/admission/default-toleration-seconds.js';
import { INSECURE_USER, authorize, nonResourceAttributes, resourceAttributes, type Security } from './security.js';
import { widenAccept } from './http/accept-wide.js';
import { DEFAULT_MAX_IN_FLIGHT, MaxInFlight, writeTooManyRequests, type MaxInFlightOptions } from './http/max-in-flight.js';
import { PriorityAndFairness } from './flowcontrol/filter.js';
import { ensureFlowcontrolObjects } from './flowcontrol/objects.js';
import type { Registry as MetricsRegistry } from 'prom-client';

/** Whom a request that failed authentication is audited as: nobody, as upstream. */
const ANONYMOUS_AUDIT_USER: UserInfo = { username: '', groups: [] };

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
  /** --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds */
  tolerationDefaults?: TolerationDefaults;
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
  /** --service-cluster-ip-range (default 10.0.0.0/24). */
  serviceClusterIPRange?: string;
  /** --service-node-port-range (default 30000-32767). */
  serviceNodePortRange?: string;
  /** How often the allocation repair pass runs (upstream: 3 minutes). */
  serviceRepairIntervalMs?: number;
  /**
   * Keep default/kubernetes and its endpoints pointing at this server
   * (upstream --advertise-address); off for bare test servers.
   */
  kubernetesService?: { advertiseAddress: string; leaseTTLSeconds?: number; intervalMs?: number };
  /** metrics.k8s.io: how often kubelets are scraped (metrics-server's --metric-resolution). */
  metrics?: MetricsOptions;
  /** --kubelet-client-certificate/--kubelet-client-key/--kubelet-certificate-authority: how pods/log, exec, attach and portforward reach kubelets. */
  kubeletClient?: KubeletClientConfig;
  /** --max-requests-inflight / --max-mutating-requests-inflight (upstream's defaults 400 / 200; 0 = no limit). */
  maxInFlight?: MaxInFlightOptions;
  /**
   * --enable-priority-and-fairness (upstream's default: on): API Priority and Fairness replaces the
   * max-in-flight filter, and the two limits added together are the server's concurrency limit.
   */
  priorityAndFairness?: boolean;
}

export interface RunningApiServer {
  url: string;
  port: number;
  host: string;
  registry: Registry;
  security?: Security;
  /** The Service IP and node port allocators (shared by every request). */
  serviceAllocators: ServiceAllocators;
  /** Runs the allocation repair pass once (also run at start-up and periodically). */
  repairServiceAllocations(): Promise<void>;
  /**
   * In-memory connections to this server's handler chain for components in
   * the same process (see in-process.ts); a client certificate presented on
   * one is verified against the cluster CA and authenticates its requests.
   */
  connectInProcess: Connect;
  /** The max-in-flight filter: requests counted now and refused so far (only when priority and fairness is off). */
  inFlight: MaxInFlight;
  /** API Priority and Fairness, unless turned off. */
  flowControl?: PriorityAndFairness;
  close(): Promise<void>;
}

class StoreRegistry implements Registry {
  private readonly stores = new Map<ResourceInfo, ResourceStore>();
  private schemaRegistry: SchemaRegistry | undefined;

  constructor(
    private readonly store: Store,
    private readonly serviceAllocators: ServiceAllocators,
    readonly kubeletClient?: KubeletClientConfig,
  ) {}

  storeFor(info: ResourceInfo): ResourceStore {
    let s = this.stores.get(info);
    if (!s) {
      s = info.group === '' && info.resource === 'services' ? new ServiceStore(info, this.store, this.serviceAllocators) : new ResourceStore(info, this.store);
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

/** How long a kept-alive connection may sit idle: upstream's IdleTimeout, which matches client-go's own idle-connection timeout. */
export const IDLE_CONNECTION_TIMEOUT_MS = 90_000;

/**
 * Node closes an idle keep-alive connection after 5 s; a controller that
 * pauses longer between bursts then opens (and the server accepts) a fresh
 * TLS connection for each request in flight of the next burst.
 */
function keepIdleConnections(server: http.Server): void {
  server.keepAliveTimeout = IDLE_CONNECTION_TIMEOUT_MS;
}

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
  const ipRange = new IPRange(opts.serviceClusterIPRange ?? '10.0.0.0/24');
  const serviceAllocators = new ServiceAllocators(
    new RangeAllocator(opts.store, ipRange, 'serviceips', 'IP', 'IPs'),
    new RangeAllocator(opts.store, new PortRange(opts.serviceNodePortRange ?? '30000-32767'), 'servicenodeports', 'port', 'ports'),
  );
  const registry = new StoreRegistry(opts.store, serviceAllocators, opts.kubeletClient);
  const metrics = metricsServiceFor(registry, opts.metrics);
  await ensureSystemNamespaces(registry);
  await ensureSystemPriorityClasses(registry);
  const services = resourceFor('', 'v1', 'services')!;
  const listServices = async () => (await registry.storeFor(services).list({})).items;
  const repairs = [ipRepair(serviceAllocators.ips, listServices), portRepair(serviceAllocators.ports, listServices)];
  const repairServiceAllocations = async (): Promise<void> => {
    for (const r of repairs) await r.runOnce();
  };
  await serviceAllocators.ips.ensure();
  await serviceAllocators.ports.ensure();
  // Upstream refuses to serve until the first repair pass has succeeded.
  await repairServiceAllocations();
  const repairTimer = setInterval(() => {
    repairServiceAllocations().catch((err) => log.warn({ err: (err as Error).message }, 'repairing service allocations failed'));
  }, opts.serviceRepairIntervalMs ?? 180_000);
  repairTimer.unref();
  let security: Security | undefined;
  let closeAuthz: (() => void) | undefined;
  if (opts.secure) {
    await reconcileBootstrapPolicy(registry);
    const authz = await createAuthorizer(registry);
    const admission = admissionChain(registry, { disabled: opts.secure.disabledAdmissionPlugins, cache: true, tolerationDefaults: opts.secure.tolerationDefaults });
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
  const limits = opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  const inFlight = new MaxInFlight(limits);
  const flowControl = opts.priorityAndFairness === false ? undefined : new PriorityAndFairness({ serverConcurrencyLimit: Math.max(0, limits.readOnly) + Math.max(0, limits.mutating) });
  let metricsRegistry: Promise<MetricsRegistry> | undefined;
  if (flowControl) {
    const { schemas, levels } = flowControl.configuration();
    flowControl.adoptUids(await ensureFlowcontrolObjects(registry, schemas, levels));
  }
  let openapi: ((req: http.IncomingMessage, res: http.ServerResponse) => boolean) | undefined;

  // The insecure port of a secure server skips authentication and authorization, not admission (as upstream's did).
  const handlerFor = (sec: Security | undefined, admission = sec?.admission) => (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const pathname = url.pathname;
    void (async () => {
      try {
        let user: UserInfo = INSECURE_USER;
        const rr = parseResourcePath(req.method ?? 'GET', pathname, url.searchParams);
        if (sec) {
          const attrsFor = (u: UserInfo) => (rr ? resourceAttributes(u, rr, url.searchParams) : nonResourceAttributes(u, req.method ?? 'GET', pathname));
          let authenticatedAs: UserInfo | null;
          try {
            authenticatedAs = (await sec.authn.authenticate(req)) ?? anonymousAllowedFor(req.method, pathname);
            if (!authenticatedAs) throw unauthorized();
          } catch (err) {
            if (sec.audit && err instanceof StatusError && err.code === 401) auditFailedAuthentication(sec.audit, req, res, attrsFor(ANONYMOUS_AUDIT_USER));
            throw err;
          }
          // Audited as upstream's filter order: after authentication, before impersonation, so a refused
          // impersonation is logged under the user who tried it; a granted one under both.
          const attrs = attrsFor(authenticatedAs);
          if (sec.audit) auditRequest(sec.audit, req, res, attrs, authenticatedAs);
          user = await impersonate(req, authenticatedAs, sec.authz);
          attrs.user = user;
          // Upstream's filter order: after impersonation, before authorization.
          if (flowControl) {
            const admitted = flowControl.admit(req, res, rr, user, pathname);
            if (admitted !== true && !(await admitted)) return;
          } else if (!inFlight.admit(req.method ?? 'GET', rr, user, res)) {
            writeTooManyRequests(res);
            return;
          }
          authorize(sec, attrs);
        } else if (flowControl) flowControl.admit(req, res, rr, user, pathname); // system:masters: exempt, never waits
        else inFlight.admit(req.method ?? 'GET', rr, user, res); // counted; never refused (system:masters)
        if (HEALTH_PATHS.has(pathname) || pathname.startsWith('/healthz/') || pathname.startsWith('/livez/') || pathname.startsWith('/readyz/')) {
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
          res.end('ok');
          return;
        }
        if (pathname === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) {
          metricsRegistry ??= (flowControl ?? new PriorityAndFairness({ serverConcurrencyLimit: 0 })).stats.registry();
          const reg = await metricsRegistry;
          const text = await reg.metrics();
          res.writeHead(200, { 'Content-Type': reg.contentType, 'X-Content-Type-Options': 'nosniff' });
          res.end(text);
          return;
        }
        if (pathname.startsWith('/openapi/') || pathname === '/swagger-2.0.0.pb-v1') {
          if (!openapi) {
            // The OpenAPI documents' code is loaded by the first client that asks for them.
            const { createOpenApiHandler } = await import('./openapi/handler.js');
            openapi ??= createOpenApiHandler(registry.schemas(), RESOURCES);
          }
          if (openapi(req, res)) return;
        }
        if (rr && rr.group === 'apiextensions.k8s.io' && rr.resource === 'customresourcedefinitions' && rr.verb === 'list') {
          // k8ts serves no custom resources yet; kubectl's CRD check still needs a truthful empty answer.
          writeJson(res, 200, { kind: 'CustomResourceDefinitionList', apiVersion: 'apiextensions.k8s.io/v1', metadata: { resourceVersion: '0' }, items: [] });
          return;
        }
        if (rr) {
          await dispatchResource(req, res, rr, url.searchParams, registry, user, sec, admission);
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
  keepIdleConnections(server);
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
  // The same handler (and upgrades) for in-process connections: it never listens, the connector hands it each connection.
  const inProcess = http.createServer({ keepAlive: true, requestTimeout: 0 }, handlerFor(security));
  keepIdleConnections(inProcess);
  inProcess.on('upgrade', onUpgrade(handlerFor(security)));
  const inProcessOpen = new Set<Duplex>();
  const servers: http.Server[] = [server];
  const host = opts.host ?? '127.0.0.1';
  await listen(server, opts.port ?? 0, host);
  // Not awaited: the copies join within a few hundred ms, and the server serves meanwhile.
  const wideAccept = widenAccept(server);
  const port = (server.address() as AddressInfo).port;
  const url = `${security ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url }, 'API server listening');
  if (security && opts.insecurePort !== undefined) {
    const plain = http.createServer({ keepAlive: true, requestTimeout: 0 }, handlerFor(undefined, security.admission));
    keepIdleConnections(plain);
    plain.on('upgrade', onUpgrade(handlerFor(undefined, security.admission)));
    await listen(plain, opts.insecurePort, '127.0.0.1');
    servers.push(plain);
    log.warn({ url: `http://127.0.0.1:${(plain.address() as AddressInfo).port}` }, 'insecure port open: requests on it skip authentication and authorization');
  }
  let kubernetesService: KubernetesServiceController | undefined;
  if (opts.kubernetesService) {
    kubernetesService = await startKubernetesService(registry, opts.store, { ...opts.kubernetesService, port, clusterIP: ipRange.nth(1) });
  }
  return {
    url,
    port,
    host,
    registry,
    security,
    serviceAllocators,
    repairServiceAllocations,
    inFlight,
    flowControl,
    connectInProcess: inProcessConnector(inProcess, inProcessOpen, security?.pki.caCertPem),
    close: async () => {
      clearInterval(repairTimer);
      for (const s of inProcessOpen) s.destroy();
      await kubernetesService?.stop();
      for (const s of upgraded) s.destroy();
      closeKubeletSpares(opts.kubeletClient);
      wideAccept.close();
      await Promise.all(
        servers.map(
          (srv) =>
            new Promise<void>((resolve) => {
              srv.close(() => resolve());
              srv.closeAllConnections();
            }),
        ),
      );
      metrics.close();
      closeAuthz?.();
    },
  };
}
