import { badRequest } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { apiVersionOf } from '../../api/types.js';
import { checkFields, fieldValidationOutcome, findDuplicateKeys, parseFieldValidation } from '../../api/schema/index.js';
import type { RequestContext } from './context.js';

/**
 * Turns a decoded request body into an object of the endpoint's kind:
 * checks apiVersion/kind, shape, unknown fields per ?fieldValidation and
 * JSON types, as upstream's decoder does before any handler logic runs.
 */
export function decodeObject(ctx: RequestContext, body: unknown, rawText: string | undefined, expect: { group: string; version: string; kind: string }): KubeObject {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest(`the request body must be a JSON or YAML object of kind ${expect.kind}, not ${Array.isArray(body) ? 'an array' : typeof body}`);
  }
  const obj = body as KubeObject;
  const wantAV = apiVersionOf(expect.group, expect.version);
  if (obj.apiVersion !== undefined && obj.apiVersion !== '' && obj.apiVersion !== wantAV) {
    throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${wantAV})`);
  }
  if (obj.kind !== undefined && obj.kind !== '' && obj.kind !== expect.kind) {
    throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${expect.kind})`);
  }
  if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
  if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) {
    throw badRequest(`metadata must be an object, got ${JSON.stringify(obj.metadata)}`);
  }
  const directive = parseFieldValidation(ctx.query.get('fieldValidation'));
  const schema = ctx.registry.schemas().forKind(expect.group, expect.version, expect.kind);
  if (schema) {
    const outcome = fieldValidationOutcome({
      kind: expect.kind,
      version: expect.version,
      check: checkFields(schema, obj),
      duplicates: directive !== 'Ignore' && rawText !== undefined ? findDuplicateKeys(rawText) : [],
      directive,
    });
    if (outcome.error) throw outcome.error;
    ctx.warnings.push(...outcome.warnings);
  }
  obj.apiVersion = wantAV;
  obj.kind = expect.kind;
  return obj;
}

/** The namespace in the body must agree with the URL's, as upstream checks. */
export function checkNamespace(ctx: RequestContext, obj: KubeObject): void {
  const ns = ctx.rr.namespace;
  if (!ctx.info.namespaced) return;
  const bodyNs = obj.metadata.namespace;
  if (bodyNs !== undefined && bodyNs !== '' && bodyNs !== ns) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  obj.metadata.namespace = ns;
}
