import { StatusError, badRequest, methodNotAllowed } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { nowTimestamp } from '../../api/types.js';
import { updateManagedFields } from '../patch/index.js';
import { readBody, decodeBody, parseJson } from '../http/body.js';
import { checkNamespace, decodeObject } from './decode.js';
import { writeObject, writeRaw } from './output.js';
import { admitMutating, admitNamespaceLifecycle, validatingAdmission } from './admission.js';
import { applyScale, scaleOf } from './scale.js';
import { handleBinding } from './binding.js';
import { handleEviction } from './eviction.js';
import type { RequestContext } from './context.js';
import type { UserInfo } from '../../auth/user.js';

export async function readObjectBody(ctx: RequestContext, expect = { group: ctx.info.group, version: ctx.info.version, kind: ctx.info.kind }): Promise<KubeObject> {
  return (await readObjectBodyAs(ctx, expect)).obj;
}

/** The body's object, and whether it came as JSON (then it holds nothing JSON cannot: a JSON round trip copies it exactly). */
async function readObjectBodyAs(ctx: RequestContext, expect = { group: ctx.info.group, version: ctx.info.version, kind: ctx.info.kind }): Promise<{ obj: KubeObject; json: boolean }> {
  const raw = await readBody(ctx.req);
  const ct = (ctx.req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim();
  if (ct === 'application/json') {
    const text = raw.toString('utf8');
    if (text.trim() === '') throw badRequest('the request body is empty: send the object to write as JSON or YAML');
    return { obj: decodeObject(ctx, parseJson(text), text, expect), json: true };
  }
  return { obj: decodeObject(ctx, await decodeBody(raw, ctx.req.headers['content-type']), undefined, expect), json: false };
}

/**
 * Copies of a request's object for the attempts of a read-modify-write: the
 * first attempt (nearly always the only one) takes the object itself, later
 * ones a fresh copy of it as it was. A JSON body is copied by a JSON round
 * trip, several times cheaper than structuredClone.
 */
function attemptCopies(obj: KubeObject, json: boolean): () => KubeObject {
  const pristine = json ? JSON.stringify(obj) : structuredClone(obj);
  let first = true;
  return () => {
    if (first) {
      first = false;
      return obj;
    }
    return typeof pristine === 'string' ? (JSON.parse(pristine) as KubeObject) : structuredClone(pristine);
  };
}

export function track(ctx: RequestContext, oldObj: KubeObject | null, obj: KubeObject, subresource?: string): void {
  updateManagedFields(oldObj, obj, {
    manager: ctx.fieldManager,
    apiVersion: obj.apiVersion ?? ctx.info.version,
    subresource,
    now: nowTimestamp(),
    schema: ctx.registry.schemas().forKind(ctx.info.group, ctx.info.version, ctx.info.kind),
  });
}

/** Upstream's csrStrategy.PrepareForCreate: who asked is recorded by the server, never taken from the client. */
function stampRequestor(obj: KubeObject, user: UserInfo): void {
  const spec = ((obj.spec ??= {}) as Record<string, unknown>);
  delete spec.uid;
  delete spec.extra;
  spec.username = user.username;
  if (user.uid) spec.uid = user.uid;
  spec.groups = [...user.groups];
  if (user.extra && Object.keys(user.extra).length) spec.extra = structuredClone(user.extra);
}

export async function handleCreate(ctx: RequestContext): Promise<void> {
  const { rr, info } = ctx;
  if (rr.subresource !== undefined || rr.name !== undefined) {
    if (info.resource === 'pods' && rr.subresource === 'binding') return handleBinding(ctx);
    if (info.group === '' && info.resource === 'pods' && rr.subresource === 'eviction' && rr.name !== undefined) return handleEviction(ctx);
    if (rr.subresource === undefined) throw methodNotAllowed(`the server does not allow this method on the requested resource`);
    throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource ${info.resource}/${rr.subresource}`);
  }
  if (info.resource === 'bindings' && info.group === '') return handleBinding(ctx);
  const obj = await readObjectBody(ctx);
  checkNamespace(ctx, obj);
  if (!obj.metadata.name && !obj.metadata.generateName) {
    throw new StatusError(422, 'Invalid', `${info.kind}${info.group ? '.' + info.group : ''} "" is invalid: metadata.name: Required value: name or generateName is required`, {
      kind: info.kind,
      group: info.group || undefined,
      causes: [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }],
    });
  }
  await admitNamespaceLifecycle(ctx, obj.metadata.name);
  if (info.group === 'certificates.k8s.io' && info.resource === 'certificatesigningrequests') stampRequestor(obj, ctx.user);
  await admitMutating(ctx, 'CREATE', obj, undefined);
  track(ctx, null, obj);
  let json: string | undefined;
  const created = await ctx.store.create(rr.namespace, obj, { dryRun: ctx.dryRun, admit: validatingAdmission(ctx, 'CREATE'), onStored: (j) => (json = j), shareWritten: true });
  writeObject(ctx, 201, created, json);
}

export async function handleUpdate(ctx: RequestContext): Promise<void> {
  const { rr, info, store } = ctx;
  if (rr.name === undefined) throw methodNotAllowed('the server does not allow this method on the requested resource');
  const sub = rr.subresource;
  if (sub === 'scale') {
    const scale = await readObjectBody(ctx, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
    const { object } = await store.update(rr.namespace, rr.name, (cur) => {
      const old = structuredClone(cur);
      applyScale(cur, scale);
      track(ctx, old, cur, 'scale');
      return cur;
    }, { dryRun: ctx.dryRun, admit: validatingAdmission(ctx, 'UPDATE') });
    writeRaw(ctx, 200, scaleOf(info, object));
    return;
  }
  if (sub !== undefined && sub !== 'status' && !(sub === 'finalize' && info.resource === 'namespaces') && !(sub === 'approval' && info.resource === 'certificatesigningrequests') && !(sub === 'ephemeralcontainers' && info.resource === 'pods')) {
    throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource ${info.resource}/${sub}`);
  }
  const { obj, json: jsonBody } = await readObjectBodyAs(ctx);
  checkNamespace(ctx, obj);
  if (obj.metadata.name !== undefined && obj.metadata.name !== rr.name) {
    throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${rr.name})`);
  }
  obj.metadata.name = rr.name;
  const copy = attemptCopies(obj, jsonBody);
  const createIfMissing = sub === undefined && store.strategy.allowCreateOnUpdate ? () => {
    const o = copy();
    delete o.metadata.resourceVersion;
    track(ctx, null, o);
    return o;
  } : undefined;
  let json: string | undefined;
  const { object, created } = await store.update(
    rr.namespace,
    rr.name,
    async (cur) => {
      const next = copy();
      if (sub === 'finalize') {
        // Only spec.finalizers changes through /finalize.
        const finalizers = (next.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [];
        const out = structuredClone(cur);
        out.spec = { ...(out.spec as object), finalizers };
        out.metadata.resourceVersion = next.metadata.resourceVersion;
        return out;
      }
      await admitMutating(ctx, 'UPDATE', next, cur);
      track(ctx, cur, next, sub);
      return next;
    },
    { dryRun: ctx.dryRun, subresource: sub, createIfMissing, admit: validatingAdmission(ctx, 'UPDATE'), onStored: (j) => (json = j), shareWritten: true, readsCurrent: true },
  );
  if (sub === 'finalize') await finishNamespaceIfDone(ctx, object);
  writeObject(ctx, created ? 201 : 200, object, json);
}

/** A terminating namespace whose finalizers are all gone is deleted for real. */
async function finishNamespaceIfDone(ctx: RequestContext, ns: KubeObject): Promise<void> {
  const fin = (ns.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [];
  if (ns.metadata.deletionTimestamp && fin.length === 0 && !(ns.metadata.finalizers?.length)) {
    try {
      await ctx.store.delete(undefined, ns.metadata.name!, {});
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
  }
}
