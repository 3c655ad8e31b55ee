import { badRequest } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import type { Authorizer, RequestAttributes } from './authz/types.js';
import type { Authenticator } from './authn/index.js';
import type { UserInfo } from './user.js';

// The create-only review kinds of authentication.k8s.io and
// authorization.k8s.io: each answers with the request echoed back plus a
// status, never stored. kubectl auth whoami / can-i / can-i --list use them.

type Obj = Record<string, any>;

function echo(req: KubeObject, apiVersion: string, kind: string): KubeObject {
  const meta = { ...(req.metadata ?? {}) } as Obj;
  if (meta.creationTimestamp === undefined) meta.creationTimestamp = null;
  return { kind, apiVersion, metadata: meta, spec: req.spec ?? {} } as KubeObject;
}

function userInfoJson(u: UserInfo): Obj {
  const out: Obj = { username: u.username };
  if (u.uid) out.uid = u.uid;
  if (u.groups.length) out.groups = [...u.groups];
  if (u.extra && Object.keys(u.extra).length) out.extra = u.extra;
  return out;
}

/** kubectl auth whoami. */
export function selfSubjectReview(user: UserInfo): KubeObject {
  return { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null } as Obj, status: { userInfo: userInfoJson(user) } } as KubeObject;
}

function attributesFrom(spec: Obj, user: UserInfo): RequestAttributes {
  const r = spec.resourceAttributes as Obj | undefined;
  if (r) {
    return {
      user,
      verb: r.verb ?? '',
      resourceRequest: true,
      apiGroup: r.group ?? '',
      apiVersion: r.version,
      resource: r.resource ?? '',
      subresource: r.subresource || undefined,
      namespace: r.namespace || undefined,
      name: r.name || undefined,
      fieldSelector: r.fieldSelector?.rawSelector,
    };
  }
  const n = (spec.nonResourceAttributes ?? {}) as Obj;
  return { user, verb: n.verb ?? '', resourceRequest: false, path: n.path ?? '' };
}

function accessStatus(authz: Authorizer, a: RequestAttributes): Obj {
  const d = authz.authorize(a);
  const status: Obj = { allowed: d.allowed };
  if (d.reason) status.reason = d.reason;
  return status;
}

function requireAttributes(spec: Obj): void {
  if (!spec.resourceAttributes && !spec.nonResourceAttributes) throw badRequest('exactly one of nonResourceAttributes or resourceAttributes must be specified');
  if (spec.resourceAttributes && spec.nonResourceAttributes) throw badRequest('cannot specify both nonResourceAttributes and resourceAttributes');
}

/** kubectl auth can-i: the caller asks about itself. */
export function selfSubjectAccessReview(req: KubeObject, user: UserInfo, authz: Authorizer): KubeObject {
  const spec = (req.spec ?? {}) as Obj;
  requireAttributes(spec);
  const out = echo(req, 'authorization.k8s.io/v1', 'SelfSubjectAccessReview');
  out.status = accessStatus(authz, attributesFrom(spec, user));
  return out;
}

function subjectOf(spec: Obj): UserInfo {
  if (!spec.user && !(spec.groups ?? []).length) throw badRequest('at least one of user or group must be specified');
  const u: UserInfo = { username: spec.user ?? '', groups: [...(spec.groups ?? [])] };
  if (spec.uid) u.uid = spec.uid;
  if (spec.extra) u.extra = spec.extra;
  return u;
}

/** A delegated check about any user (kubectl auth can-i --as uses impersonation instead). */
export function subjectAccessReview(req: KubeObject, authz: Authorizer): KubeObject {
  const spec = (req.spec ?? {}) as Obj;
  requireAttributes(spec);
  const out = echo(req, 'authorization.k8s.io/v1', 'SubjectAccessReview');
  out.status = accessStatus(authz, attributesFrom(spec, subjectOf(spec)));
  return out;
}

export function localSubjectAccessReview(req: KubeObject, namespace: string, authz: Authorizer): KubeObject {
  const spec = (req.spec ?? {}) as Obj;
  if (!spec.resourceAttributes) throw badRequest('spec.resourceAttributes: Required value: resourceAttributes is required for LocalSubjectAccessReview');
  const ns = spec.resourceAttributes.namespace ?? '';
  if (ns !== namespace) throw badRequest(`spec.resourceAttributes.namespace must match namespace: ${namespace}`);
  const out = echo(req, 'authorization.k8s.io/v1', 'LocalSubjectAccessReview');
  out.metadata.namespace = namespace;
  out.status = accessStatus(authz, attributesFrom(spec, subjectOf(spec)));
  return out;
}

/** kubectl auth can-i --list. */
export function selfSubjectRulesReview(req: KubeObject, user: UserInfo, authz: Authorizer): KubeObject {
  const spec = (req.spec ?? {}) as Obj;
  const out = echo(req, 'authorization.k8s.io/v1', 'SelfSubjectRulesReview');
  const r = authz.rulesFor(user, spec.namespace ?? '');
  const status: Obj = { resourceRules: r.resourceRules, nonResourceRules: r.nonResourceRules, incomplete: r.incomplete };
  if (r.evaluationError) status.evaluationError = r.evaluationError;
  out.status = status;
  return out;
}

/** TokenReview: whether a bearer token is valid, and for whom. */
export async function tokenReview(req: KubeObject, authn: Authenticator): Promise<KubeObject> {
  const spec = (req.spec ?? {}) as Obj;
  const out = echo(req, 'authentication.k8s.io/v1', 'TokenReview');
  const user = spec.token ? await authn.authenticateToken(String(spec.token)) : null;
  const status: Obj = { authenticated: !!user, user: user ? userInfoJson(user) : {} };
  if (Array.isArray(spec.audiences) && spec.audiences.length && user) status.audiences = spec.audiences;
  if (!user) status.error = 'invalid bearer token';
  out.status = status;
  return out;
}
