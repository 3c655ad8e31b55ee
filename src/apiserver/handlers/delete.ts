import { badRequest, methodNotAllowed } from '../../api/errors.js';
import { readBody, decodeBody } from '../http/body.js';
import { listParams } from './selectors.js';
import { writeObject, writeRaw, writeList } from './output.js';
import { admitNamespaceLifecycle, validatingAdmission } from './admission.js';
import type { DeleteParams } from '../registry/resource-store.js';
import type { RequestContext } from './context.js';

async function deleteParams(ctx: RequestContext): Promise<DeleteParams> {
  const q = ctx.query;
  const p: DeleteParams = { dryRun: ctx.dryRun };
  const raw = await readBody(ctx.req);
  if (raw.length > 0 && raw.toString('utf8').trim() !== '') {
    const body = (await decodeBody(raw, ctx.req.headers['content-type'])) as any;
    if (typeof body !== 'object' || body === null) throw badRequest('the body of a delete must be a DeleteOptions object');
    if (body.gracePeriodSeconds !== undefined && body.gracePeriodSeconds !== null) p.gracePeriodSeconds = Number(body.gracePeriodSeconds);
    if (body.propagationPolicy) p.propagationPolicy = body.propagationPolicy;
    if (body.orphanDependents === true) p.propagationPolicy = 'Orphan';
    if (body.preconditions) p.preconditions = body.preconditions;
    if (Array.isArray(body.dryRun) && body.dryRun.includes('All')) p.dryRun = true;
  }
  const g = q.get('gracePeriodSeconds');
  if (g !== null) {
    if (!/^-?\d+$/.test(g)) throw badRequest(`gracePeriodSeconds must be an integer, got ${JSON.stringify(g)}`);
    p.gracePeriodSeconds = Number(g);
  }
  const pp = q.get('propagationPolicy');
  if (pp) p.propagationPolicy = pp as DeleteParams['propagationPolicy'];
  if (p.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(p.propagationPolicy)) {
    throw badRequest(`propagationPolicy: Unsupported value: "${p.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  if (p.gracePeriodSeconds !== undefined && p.gracePeriodSeconds < 0) p.gracePeriodSeconds = 0;
  return p;
}

export async function handleDelete(ctx: RequestContext): Promise<void> {
  const { rr, info } = ctx;
  if (rr.subresource !== undefined) throw methodNotAllowed(`the server does not allow this method on the requested resource ${info.resource}/${rr.subresource}`);
  await admitNamespaceLifecycle(ctx, rr.name);
  const p = await deleteParams(ctx);
  p.admit = validatingAdmission(ctx, 'DELETE');
  const { object, deleted } = await ctx.store.delete(rr.namespace, rr.name!, p);
  if (!deleted || info.resource === 'pods' || info.resource === 'namespaces') {
    writeObject(ctx, 200, object);
    return;
  }
  writeRaw(ctx, 200, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: rr.name, group: info.group || undefined, kind: info.resource, uid: object.metadata.uid },
  });
}

export async function handleDeleteCollection(ctx: RequestContext): Promise<void> {
  const p = await deleteParams(ctx);
  const list = await ctx.store.list({ ...listParams(ctx), limit: 0 });
  const out = [];
  for (const item of list.items) {
    try {
      const r = await ctx.store.delete(item.metadata.namespace, item.metadata.name!, p);
      out.push(r.object);
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
  writeList(ctx, { ...list, items: out });
}
