import type { KubeList, KubeObject } from '../api/types.js';
import type { Status } from '../api/errors.js';
import { loadKubeconfig, type ClientConfig } from './kubeconfig.js';
import { Transport, type RawResponse } from './transport.js';
import { resourcePath, query, type ResourceRef, type QueryValue } from './paths.js';
import { openWatch, type WatchCallback, type WatchHandle } from './watch.js';

// The typed-by-ResourceInfo REST client every k8ts component uses: one
// method per API verb, URLs and content types as the API server expects
// them, failures as StatusError.

export interface RestClientOptions {
  /** Component name; the user agent becomes k8ts/<component>. */
  component?: string;
  userAgent?: string;
  /** Client-side throttle. k8ts components share one process with the server, so defaults are higher than client-go's 5/10. */
  qps?: number;
  burst?: number;
  /** Timeout of non-watch requests in ms (default 60 s, 0 = none). */
  timeoutMs?: number;
  /** Extra attempts for GETs that failed to connect (default 3). */
  maxRetries?: number;
  /** Connections to the server at most (default: no limit); see TransportOptions. */
  maxSockets?: number;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  timeoutSeconds?: number;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  sendInitialEvents?: boolean;
}

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: 'All';
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface PatchOptions extends WriteOptions {
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
  subresource?: string;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: 'All';
}

function writeQuery(o: WriteOptions & { force?: boolean } = {}): string {
  return query({ fieldManager: o.fieldManager, dryRun: o.dryRun, fieldValidation: o.fieldValidation, force: o.force });
}

function deleteBody(o: DeleteOptions): string | undefined {
  if (Object.keys(o).length === 0) return undefined;
  const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1', ...o };
  if (o.dryRun) body.dryRun = [o.dryRun];
  return JSON.stringify(body);
}

function nameOf(obj: KubeObject): string {
  const n = obj.metadata?.name;
  if (!n) throw new Error('object has no metadata.name');
  return n;
}

export class RestClient {
  readonly transport: Transport;
  readonly config: ClientConfig;

  constructor(config: ClientConfig, opts: RestClientOptions = {}) {
    this.config = config;
    this.transport = new Transport(config, {
      userAgent: opts.userAgent ?? `k8ts/${opts.component ?? 'client'}`,
      qps: opts.qps ?? 50,
      burst: opts.burst ?? 100,
      timeoutMs: opts.timeoutMs ?? 60_000,
      maxRetries: opts.maxRetries ?? 3,
      maxSockets: opts.maxSockets,
    });
  }

  static fromKubeconfig(path: string, opts: RestClientOptions & { context?: string } = {}): RestClient {
    return new RestClient(loadKubeconfig(path, opts.context), opts);
  }

  /** The context's default namespace. */
  get namespace(): string {
    return this.config.namespace;
  }

  /** Any request by path; the body is JSON-encoded unless already a string. HTTP errors become StatusError. */
  request<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    return this.transport.json<T>(method, path, { body: payload, headers });
  }

  /** Like request but returns status, headers and raw body without interpreting errors (logs, health checks). */
  requestRaw(method: string, path: string, body?: string | Buffer, headers?: Record<string, string>): Promise<RawResponse> {
    return this.transport.send(method, path, { body, headers });
  }

  get<T extends KubeObject = KubeObject>(info: ResourceRef, namespace: string | undefined, name: string, opts: { resourceVersion?: string } = {}): Promise<T> {
    return this.request<T>('GET', resourcePath(info, namespace, name) + query({ resourceVersion: opts.resourceVersion }));
  }

  list<T extends KubeObject = KubeObject>(info: ResourceRef, namespace: string | undefined, opts: ListOptions = {}): Promise<KubeList<T>> {
    return this.request<KubeList<T>>('GET', resourcePath(info, namespace) + query({ ...opts } as Record<string, QueryValue>));
  }

  create<T extends KubeObject = KubeObject>(info: ResourceRef, namespace: string | undefined, body: NoInfer<T>, opts: WriteOptions = {}): Promise<T> {
    return this.request<T>('POST', resourcePath(info, namespace) + writeQuery(opts), body);
  }

  update<T extends KubeObject = KubeObject>(info: ResourceRef, namespace: string | undefined, body: NoInfer<T>, opts: WriteOptions = {}): Promise<T> {
    return this.request<T>('PUT', resourcePath(info, namespace, nameOf(body)) + writeQuery(opts), body);
  }

  updateStatus<T extends KubeObject = KubeObject>(info: ResourceRef, namespace: string | undefined, body: NoInfer<T>, opts: WriteOptions = {}): Promise<T> {
    return this.updateSubresource(info, namespace, nameOf(body), 'status', body, opts);
  }

  patch<T extends KubeObject = KubeObject>(
    info: ResourceRef,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts: PatchOptions = {},
  ): Promise<T> {
    if (type === 'apply' && !opts.fieldManager) throw new Error('apply patches require a fieldManager');
    const path = resourcePath(info, namespace, name, opts.subresource) + writeQuery(opts);
    return this.request<T>('PATCH', path, patch, { 'Content-Type': PATCH_CONTENT_TYPES[type] });
  }

  /** Returns the deleted object (or the object marked for deletion), or a Success Status. */
  delete<T extends KubeObject = KubeObject>(info: ResourceRef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<T | Status> {
    return this.request<T | Status>('DELETE', resourcePath(info, namespace, name) + query({ dryRun: opts.dryRun }), deleteBody(opts));
  }

  deleteCollection(info: ResourceRef, namespace: string | undefined, listOpts: ListOptions = {}, opts: DeleteOptions = {}): Promise<unknown> {
    const q = query({ labelSelector: listOpts.labelSelector, fieldSelector: listOpts.fieldSelector, dryRun: opts.dryRun });
    return this.request('DELETE', resourcePath(info, namespace) + q, deleteBody(opts));
  }

  getSubresource<T = unknown>(info: ResourceRef, namespace: string | undefined, name: string, sub: string): Promise<T> {
    return this.request<T>('GET', resourcePath(info, namespace, name, sub));
  }

  /** POST to a subresource, e.g. pods/binding or pods/eviction. */
  createSubresource<T = unknown>(info: ResourceRef, namespace: string | undefined, name: string, sub: string, body: unknown, opts: WriteOptions = {}): Promise<T> {
    return this.request<T>('POST', resourcePath(info, namespace, name, sub) + writeQuery(opts), body);
  }

  updateSubresource<T = unknown>(info: ResourceRef, namespace: string | undefined, name: string, sub: string, body: unknown, opts: WriteOptions = {}): Promise<T> {
    return this.request<T>('PUT', resourcePath(info, namespace, name, sub) + writeQuery(opts), body);
  }

  /** Stream watch events; see WatchHandle for how it ends. */
  watch<T extends KubeObject = KubeObject>(info: ResourceRef, namespace: string | undefined, opts: WatchOptions, onEvent: WatchCallback<T>): WatchHandle {
    const path = resourcePath(info, namespace) + query({ watch: 'true', ...opts } as Record<string, QueryValue>);
    return openWatch<T>(this.transport, path, onEvent);
  }

  /** Close idle keep-alive connections so the process can exit. */
  close(): void {
    this.transport.close();
  }
}
