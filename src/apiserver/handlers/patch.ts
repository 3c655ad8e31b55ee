import { StatusError, badRequest, methodNotAllowed } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { nowTimestamp } from '../../api/types.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, serverSideApply } from '../patch/index.js';
import { readBody, decodeBody } from '../http/body.js';
import { checkNamespace, decodeObject } from './decode.js';
import { writeObject, writeRaw } from './output.js';
import { admitMutating, admitNamespaceLifecycle, validatingAdmission } from './admission.js';
import { track } from './write.js';
import { applyScale, scaleOf } from './scale.js';
import type { RequestContext } from './context.js';

const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;
type PatchType = (typeof PATCH_TYPES)[number];

function patchTypeOf(ctx: RequestContext): PatchType {
  const ct = (ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if ((PATCH_TYPES as readonly string[]).includes(ct)) return ct as PatchType;
  throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`);
}

/**
 * PATCH: the patch is applied to the current object inside the store's
 * compare-and-swap loop, so concurrent writers never lose each other's
 * changes; server-side apply may also create the object.
 */
export async function handlePatch(ctx: RequestContext): Promise<void> {
  const { rr, info, store } = ctx;
  if (rr.name === undefined) throw methodNotAllowed('the server does not allow this method on the requested resource');
  const sub = rr.subresource;
  if (sub !== undefined && sub !== 'status' && sub !== 'scale' && !(sub === 'approval' && info.resource === 'certificatesigningrequests') && !(sub === 'ephemeralcontainers' && info.resource === 'pods')) {
    throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource ${info.resource}/${sub}`);
  }
  const type = patchTypeOf(ctx);
  const raw = await readBody(ctx.req);
  const patch = await decodeBody(raw, type);
  if (type === 'application/json-patch+json' ? !Array.isArray(patch) : typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw badRequest(type === 'application/json-patch+json' ? 'a JSON patch must be a JSON array of operations' : 'the patch must be a JSON object');
  }
  const schema = ctx.registry.schemas().forKind(info.group, info.version, info.kind);
  const force = ctx.query.get('force') === 'true';
  if (type === 'application/apply-patch+yaml') {
    if (!ctx.query.get('fieldManager')) throw badRequest('PATCH, application/apply-patch+yaml requires fieldManager to be set');
    if (sub === 'scale') throw new StatusError(415, 'UnsupportedMediaType', 'apply patches are not supported on the scale subresource');
  } else if (ctx.query.has('force')) {
    throw badRequest('force is only allowed for apply patches');
  }

  const applyTo = (cur: KubeObject | null): KubeObject => {
    const now = nowTimestamp();
    let next: unknown;
    if (sub === 'scale') {
      const scale = scaleOf(info, cur!);
      const patched =
        type === 'application/json-patch+json' ? applyJsonPatch(scale, patch) : type === 'application/merge-patch+json' ? applyMergePatch(scale, patch) : applyStrategicMergePatch(scale, patch, undefined);
      const out = structuredClone(cur!);
      applyScale(out, patched);
      track(ctx, cur, out, 'scale');
      return out;
    }
    switch (type) {
      case 'application/json-patch+json':
        next = applyJsonPatch(cur, patch);
        break;
      case 'application/merge-patch+json':
        next = applyMergePatch(cur, patch);
        break;
      case 'application/strategic-merge-patch+json':
        next = applyStrategicMergePatch(cur, patch, schema);
        break;
      case 'application/apply-patch+yaml': {
        const applied = decodeObject(ctx, structuredClone(patch), undefined, { group: info.group, version: info.version, kind: info.kind });
        checkNamespace(ctx, applied);
        if (applied.metadata.name !== undefined && applied.metadata.name !== rr.name) {
          throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${rr.name})`);
        }
        applied.metadata.name = rr.name;
        return serverSideApply(cur, applied, { manager: ctx.fieldManager, force, apiVersion: applied.apiVersion!, schema, now, subresource: sub });
      }
    }
    const obj = decodeObject(ctx, next, undefined, { group: info.group, version: info.version, kind: info.kind });
    if (cur && obj.metadata.resourceVersion === cur.metadata.resourceVersion) {
      // The patch did not ask for a particular version: retry on conflict.
      delete obj.metadata.resourceVersion;
    }
    track(ctx, cur, obj, sub);
    return obj;
  };

  const createIfMissing =
    type === 'application/apply-patch+yaml' && sub === undefined
      ? async () => {
          const created = applyTo(null);
          await admitMutating(ctx, 'CREATE', created, undefined);
          return created;
        }
      : undefined;
  if (createIfMissing) await admitNamespaceLifecycle({ ...ctx, rr: { ...rr, verb: 'create' } }, rr.name);
  let json: string | undefined;
  const { object, created } = await store.update(
    rr.namespace,
    rr.name,
    async (cur) => {
      const next = applyTo(cur);
      await admitMutating(ctx, 'UPDATE', next, cur);
      return next;
    },
    // Every patch type copies what it patches, and admission and track only read cur.
    { dryRun: ctx.dryRun, subresource: sub === 'scale' ? undefined : sub, createIfMissing, admit: validatingAdmission(ctx, 'UPDATE'), onStored: (j) => (json = j), shareWritten: true, readsCurrent: true },
  );
  if (sub === 'scale') {
    writeRaw(ctx, 200, scaleOf(info, object));
    return;
  }
  writeObject(ctx, created ? 201 : 200, object, json);
}
