import { StatusError, notFound } from '../../api/errors.js';
import { resourceFor } from '../../api/scheme/resources.js';
import type { RequestContext } from './context.js';

const namespaces = resourceFor('', 'v1', 'namespaces')!;
const IMMORTAL = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/**
 * NamespaceLifecycle: nothing is created in a namespace that does not exist
 * or is being deleted, and the system namespaces cannot be deleted.
 */
export async function admitNamespaceLifecycle(ctx: RequestContext, name: string | undefined): Promise<void> {
  const { info, rr } = ctx;
  if (rr.verb === 'delete' && info.group === '' && info.resource === 'namespaces' && rr.name && IMMORTAL.has(rr.name)) {
    throw new StatusError(403, 'Forbidden', `namespaces "${rr.name}" is forbidden: this namespace may not be deleted`, { name: rr.name, kind: 'namespaces' });
  }
  if (rr.verb !== 'create' || !info.namespaced || !rr.namespace) return;
  let ns;
  try {
    ns = await ctx.registry.storeFor(namespaces).get(undefined, rr.namespace);
  } catch (err) {
    if (err instanceof StatusError && err.code === 404) throw notFound({ group: '', resource: 'namespaces' }, rr.namespace);
    throw err;
  }
  if ((ns.status as { phase?: string } | undefined)?.phase === 'Terminating' || ns.metadata.deletionTimestamp) {
    const what = info.group ? `${info.resource}.${info.group}` : info.resource;
    throw new StatusError(403, 'Forbidden', `${what} "${name ?? ''}" is forbidden: unable to create new content in namespace ${rr.namespace} because it is being terminated`, {
      name,
      kind: info.resource,
      causes: [{ reason: 'NamespaceTerminating', message: `namespace ${rr.namespace} is being terminated`, field: 'metadata.namespace' }],
    });
  }
}
