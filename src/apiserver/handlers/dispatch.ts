import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatusError, notFound } from '../../api/errors.js';
import { resourceFor } from '../../api/scheme/resources.js';
import type { ResourceRequest } from '../http/request-info.js';
import { negotiateOutput } from '../http/respond.js';
import { validateName } from '../../api/validation/index.js';
import type { Registry, RequestContext } from './context.js';
import type { UserInfo } from '../../auth/user.js';
import type { Security } from '../security.js';
import type { AdmissionChain } from '../../auth/admission/index.js';
import { handleReview, handleTokenRequest, isReview } from './reviews.js';
import { handleGet, handleList } from './read.js';
import { handleWatch } from './watch.js';
import { handleCreate, handleUpdate } from './write.js';
import { handlePatch } from './patch.js';
import { handleDelete, handleDeleteCollection } from './delete.js';
import { handleMetrics, isMetrics } from '../metrics/handler.js';
import { CONNECT_SUBRESOURCES, handlePodConnect } from './pod-connect.js';
import { loadTables } from './output.js';

function fieldManagerOf(req: IncomingMessage, query: URLSearchParams): string {
  const fm = query.get('fieldManager');
  if (fm) {
    if (fm.length > 128) throw new StatusError(400, 'BadRequest', `fieldManager: Too long: may not be more than 128 bytes`);
    return fm;
  }
  // Upstream names the manager after the user agent's product ("kubectl", "k8ts-scheduler").
  const ua = req.headers['user-agent'] ?? 'unknown';
  return ua.split('/')[0]!.slice(0, 128) || 'unknown';
}

/** Routes one parsed resource request to its verb's handler. */
export async function dispatchResource(
  req: IncomingMessage,
  res: ServerResponse,
  rr: ResourceRequest,
  query: URLSearchParams,
  registry: Registry,
  user: UserInfo,
  security: Security | undefined,
  admission: AdmissionChain | undefined = security?.admission,
): Promise<void> {
  const info = resourceFor(rr.group, rr.version, rr.resource);
  if (!info) {
    const what = rr.group ? `${rr.resource}.${rr.group}` : rr.resource;
    throw new StatusError(404, 'NotFound', `the server could not find the requested resource (${rr.verb} ${what})`, { group: rr.group || undefined, kind: rr.resource, causes: [{ reason: 'UnexpectedServerResponse', message: '404 page not found' }] });
  }
  if (rr.subresource !== undefined && !info.subresources.includes(rr.subresource)) {
    throw notFound({ group: info.group, resource: `${info.resource}/${rr.subresource}` }, rr.name ?? '');
  }
  if (info.namespaced && rr.namespace === undefined && rr.name !== undefined) {
    throw new StatusError(404, 'NotFound', `the server could not find the requested resource: ${info.resource} is namespaced, put the name under /namespaces/NAMESPACE/${info.resource}/${rr.name}`);
  }
  if (info.namespaced && rr.namespace === undefined && (rr.verb === 'create' || rr.verb === 'deletecollection')) {
    throw new StatusError(404, 'NotFound', `the server could not find the requested resource: ${info.resource} must be created under /namespaces/NAMESPACE/${info.resource}`);
  }
  if (rr.name !== undefined) {
    const errs = validateName(info, rr.name);
    if (errs.length && rr.verb !== 'get' && rr.verb !== 'delete' && rr.verb !== 'watch') {
      throw new StatusError(422, 'Invalid', `${info.kind} "${rr.name}" is invalid: metadata.name: Invalid value: "${rr.name}": ${errs.join(', ')}`);
    }
  }
  if (!info.verbs.includes(rr.verb) && !(rr.subresource && (rr.verb === 'create' || rr.verb === 'get' || rr.verb === 'update' || rr.verb === 'patch'))) {
    throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  }
  const dryRunParam = query.getAll('dryRun');
  for (const d of dryRunParam) if (d !== 'All') throw new StatusError(400, 'BadRequest', `dryRun: Unsupported value: "${d}": supported values: "All"`);
  const ctx: RequestContext = {
    req,
    res,
    rr,
    info,
    store: registry.storeFor(info),
    query,
    output: negotiateOutput(req.headers.accept),
    registry,
    dryRun: dryRunParam.includes('All'),
    fieldManager: fieldManagerOf(req, query),
    warnings: [],
    user,
    security,
    admission,
  };
  if (ctx.output.kind === 'table') await loadTables();
  if (isReview(info)) return handleReview(ctx);
  if (isMetrics(info)) return handleMetrics(ctx);
  if (info.resource === 'serviceaccounts' && rr.subresource === 'token') return handleTokenRequest(ctx);
  if (info.resource === 'pods' && info.group === '' && CONNECT_SUBRESOURCES.has(rr.subresource ?? '') && (rr.verb === 'get' || rr.verb === 'create')) return handlePodConnect(ctx);
  switch (rr.verb) {
    case 'get':
      return handleGet(ctx);
    case 'list':
      return handleList(ctx);
    case 'watch':
      return handleWatch(ctx);
    case 'create':
      return handleCreate(ctx);
    case 'update':
      return handleUpdate(ctx);
    case 'patch':
      return handlePatch(ctx);
    case 'delete':
      return handleDelete(ctx);
    case 'deletecollection':
      return handleDeleteCollection(ctx);
  }
}
