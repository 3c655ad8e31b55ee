import { StatusError, badRequest } from '../../api/errors.js';
import { resourceFor, type ResourceInfo } from '../../api/scheme/resources.js';
import type { KubeObject } from '../../api/types.js';
import { localSubjectAccessReview, selfSubjectAccessReview, selfSubjectRulesReview, selfSubjectReview, subjectAccessReview, tokenReview } from '../../auth/reviews.js';
import { DEFAULT_ISSUER, issueBoundToken } from '../../auth/serviceaccount/token.js';
import { readObjectBody } from './write.js';
import { admitMutating, validatingAdmission } from './admission.js';
import { writeRaw } from './output.js';
import type { RequestContext } from './context.js';

// The review kinds are never stored: each POST is answered from the
// authenticator or authorizer and echoed back with a status.

const REVIEWS = new Set([
  'authentication.k8s.io/tokenreviews',
  'authentication.k8s.io/selfsubjectreviews',
  'authorization.k8s.io/selfsubjectaccessreviews',
  'authorization.k8s.io/subjectaccessreviews',
  'authorization.k8s.io/localsubjectaccessreviews',
  'authorization.k8s.io/selfsubjectrulesreviews',
]);

export function isReview(info: ResourceInfo): boolean {
  return REVIEWS.has(`${info.group}/${info.resource}`);
}

/** On an insecure server every caller is all-powerful; the answers say so. */
const allowAll = {
  authorize: () => ({ allowed: true, reason: '' }),
  rulesFor: () => ({ resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false }),
};

export async function handleReview(ctx: RequestContext): Promise<void> {
  if (ctx.rr.verb !== 'create') throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  const body = await readObjectBody(ctx);
  const authz = ctx.security?.authz ?? allowAll;
  let out: KubeObject;
  switch (ctx.info.resource) {
    case 'selfsubjectreviews':
      out = selfSubjectReview(ctx.user);
      break;
    case 'tokenreviews':
      if (!ctx.security) throw badRequest('token review needs an authenticating (secure) server');
      out = await tokenReview(body, ctx.security.authn);
      break;
    case 'selfsubjectaccessreviews':
      out = selfSubjectAccessReview(body, ctx.user, authz);
      break;
    case 'subjectaccessreviews':
      out = subjectAccessReview(body, authz);
      break;
    case 'localsubjectaccessreviews':
      out = localSubjectAccessReview(body, ctx.rr.namespace ?? '', authz);
      break;
    default:
      out = selfSubjectRulesReview(body, ctx.user, authz);
  }
  writeRaw(ctx, 201, out);
}

const pods = resourceFor('', 'v1', 'pods')!;
const secrets = resourceFor('', 'v1', 'secrets')!;
const nodes = resourceFor('', 'v1', 'nodes')!;

/** serviceaccounts/NAME/token (TokenRequest): a signed, audience-bound, expiring token. */
export async function handleTokenRequest(ctx: RequestContext): Promise<void> {
  if (ctx.rr.verb !== 'create') throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  const sec = ctx.security;
  // Without signing keys upstream does not register serviceaccounts/token at all: 404, so kubelets skip the token.
  if (!sec) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource (serviceaccounts/token needs service account signing keys, which come with TLS)');
  const req = (await readObjectBody(ctx, { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' })) as any;
  const sa = await ctx.store.get(ctx.rr.namespace, ctx.rr.name!);
  // NodeRestriction decides which tokens a kubelet may mint, as upstream.
  req.metadata = { ...(req.metadata ?? {}), name: ctx.rr.name, namespace: ctx.rr.namespace };
  await admitMutating(ctx, 'CREATE', req, undefined);
  await validatingAdmission(ctx, 'CREATE')?.(req, undefined);
  const spec = req.spec ?? {};
  const expirationSeconds = Number(spec.expirationSeconds ?? 3600);
  if (!Number.isInteger(expirationSeconds) || expirationSeconds < 600) {
    throw new StatusError(422, 'Invalid', `TokenRequest.authentication.k8s.io "${ctx.rr.name}" is invalid: spec.expirationSeconds: Invalid value: ${expirationSeconds}: may not specify a duration less than 10 minutes`);
  }
  let boundObject: { kind: 'Pod' | 'Secret'; name: string; uid: string } | undefined;
  let node: { name: string; uid: string } | undefined;
  const ref = spec.boundObjectRef;
  if (ref) {
    if (ref.kind !== 'Pod' && ref.kind !== 'Secret') throw badRequest(`cannot bind token to object of type ${ref.kind}`);
    const target = await ctx.registry.storeFor(ref.kind === 'Pod' ? pods : secrets).get(ctx.rr.namespace, ref.name);
    if (ref.uid && ref.uid !== target.metadata.uid) throw new StatusError(409, 'Conflict', `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    boundObject = { kind: ref.kind, name: ref.name, uid: target.metadata.uid! };
    const nodeName = (target.spec as any)?.nodeName;
    if (ref.kind === 'Pod' && nodeName) {
      try {
        const n = await ctx.registry.storeFor(nodes).get(undefined, nodeName);
        node = { name: nodeName, uid: n.metadata.uid! };
      } catch {
        // A pod bound to a node that is gone still gets a token, without the node claim.
      }
    }
  }
  const audiences: string[] = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences : [DEFAULT_ISSUER];
  const { token, expirationTimestamp } = await issueBoundToken(sec.pki.saSigningKeyPem, {
    namespace: ctx.rr.namespace!,
    serviceAccount: { name: sa.metadata.name!, uid: sa.metadata.uid! },
    audiences,
    expirationSeconds,
    boundObject,
    node,
    issuer: DEFAULT_ISSUER,
  });
  writeRaw(ctx, 201, {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: sa.metadata.name, namespace: ctx.rr.namespace, creationTimestamp: null },
    spec: { audiences, expirationSeconds, boundObjectRef: ref ?? null },
    status: { token, expirationTimestamp },
  });
}
