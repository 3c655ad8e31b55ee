import { badRequest } from '../../api/errors.js';
import { parseLabelSelector } from '../../api/selectors/labels.js';
import { parseFieldSelector } from '../../api/selectors/fields.js';
import type { ListParams } from '../registry/resource-store.js';
import type { RequestContext } from './context.js';

/** List/watch parameters from the query string, validated as upstream does. */
export function listParams(ctx: RequestContext): ListParams {
  const q = ctx.query;
  const p: ListParams = { namespace: ctx.info.namespaced ? ctx.rr.namespace : undefined };
  const ls = q.get('labelSelector');
  if (ls) p.labelSelector = parseLabelSelector(ls);
  const fs = q.get('fieldSelector');
  if (fs) {
    const sel = parseFieldSelector(fs);
    const known = ctx.store.selectableFieldNames;
    for (const r of sel) {
      if (!known.includes(r.field)) {
        throw badRequest(`field label not supported: ${r.field}`);
      }
    }
    p.fieldSelector = sel;
  }
  const limit = q.get('limit');
  if (limit) {
    if (!/^\d+$/.test(limit)) throw badRequest(`limit must be a non-negative integer, got ${JSON.stringify(limit)}`);
    p.limit = Number(limit);
  }
  const cont = q.get('continue');
  if (cont) p.continue = cont;
  const rv = q.get('resourceVersion');
  if (rv !== null) p.resourceVersion = rv;
  const rvm = q.get('resourceVersionMatch');
  if (rvm) {
    if (rvm !== 'Exact' && rvm !== 'NotOlderThan') throw badRequest(`resourceVersionMatch: Unsupported value: "${rvm}": supported values: "Exact", "NotOlderThan"`);
    if (!rv && !(ctx.rr.verb === 'watch' && q.get('sendInitialEvents') === 'true')) throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
    if (cont) throw badRequest('resourceVersionMatch is forbidden when continue is provided');
    p.resourceVersionMatch = rvm;
  }
  if (cont && rv && rv !== '0') throw badRequest('specifying resource version is not allowed when using continue');
  return p;
}
