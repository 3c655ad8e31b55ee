import { writeList, writeObject, writeRaw } from './output.js';
import { writeJson, writeJsonList } from '../http/respond.js';
import { listParams } from './selectors.js';
import { scaleOf } from './scale.js';
import { StatusError, badRequest } from '../../api/errors.js';
import type { RequestContext } from './context.js';
import { handlePodLog } from './pod-log.js';

export async function handleGet(ctx: RequestContext): Promise<void> {
  const { rr, store } = ctx;
  if (rr.subresource === 'log' && ctx.info.resource === 'pods') return handlePodLog(ctx);
  if ((rr.subresource === undefined || rr.subresource === 'status') && ctx.output.kind === 'json' && ctx.warnings.length === 0) {
    const text = await store.getJson(rr.namespace, rr.name!);
    if (text !== undefined) {
      writeJson(ctx.res, 200, text);
      return;
    }
  }
  const obj = await store.get(rr.namespace, rr.name!);
  switch (rr.subresource) {
    case undefined:
    case 'status':
    case 'ephemeralcontainers':
      writeObject(ctx, 200, obj);
      return;
    case 'scale':
      writeRaw(ctx, 200, scaleOf(ctx.info, obj));
      return;
    case 'exec':
    case 'attach':
    case 'portforward':
    case 'proxy':
      throw new StatusError(400, 'BadRequest', `${ctx.info.resource}/${rr.subresource} needs the node's kubelet, and pod ${rr.name} has no kubelet serving it yet`);
    default:
      throw badRequest(`the server does not allow this method on the requested resource ${ctx.info.resource}/${rr.subresource}`);
  }
}

export async function handleList(ctx: RequestContext): Promise<void> {
  const params = listParams(ctx);
  if (ctx.output.kind === 'json' && ctx.warnings.length === 0) {
    const body = await ctx.store.listJson(params);
    if (body !== undefined) {
      await writeJsonList(ctx.res, 200, body);
      return;
    }
  }
  const list = await ctx.store.list(params);
  writeList(ctx, list);
}
