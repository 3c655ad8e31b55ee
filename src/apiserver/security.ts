import type { ClusterPki } from '../pki/index.js';
import type { Authenticator } from '../auth/authn/index.js';
import type { Authorizer, RequestAttributes } from '../auth/authz/index.js';
import { forbiddenError } from '../auth/authz/index.js';
import type { AdmissionChain } from '../auth/admission/index.js';
import type { UserInfo } from '../auth/user.js';
import type { AuditLogger } from '../auth/audit.js';
import type { ResourceRequest } from './http/request-info.js';

/** Everything the request path needs to know who is asking and what they may do. */
export interface Security {
  pki: ClusterPki;
  authn: Authenticator;
  authz: Authorizer;
  admission: AdmissionChain;
  /** --audit-policy-file + --audit-log-path, when given. */
  audit?: AuditLogger;
}

/** The identity of every request on an insecure (plain HTTP, loopback) server, as upstream's insecure port. */
export const INSECURE_USER: UserInfo = { username: 'system:unsecured', groups: ['system:masters', 'system:authenticated'] };

export function resourceAttributes(user: UserInfo, rr: ResourceRequest, query: URLSearchParams): RequestAttributes {
  let name = rr.name;
  const fieldSelector = query.get('fieldSelector') ?? undefined;
  if (!name && (rr.verb === 'list' || rr.verb === 'watch') && fieldSelector) {
    const m = /(?:^|,)metadata\.name==?([^,]+)/.exec(fieldSelector);
    if (m) name = m[1];
  }
  return {
    user,
    verb: rr.verb,
    resourceRequest: true,
    apiGroup: rr.group,
    apiVersion: rr.version,
    resource: rr.resource,
    subresource: rr.subresource,
    namespace: rr.namespace,
    name,
    fieldSelector,
  };
}

export function nonResourceAttributes(user: UserInfo, method: string, path: string): RequestAttributes {
  return { user, verb: method.toLowerCase() === 'head' ? 'get' : method.toLowerCase(), resourceRequest: false, path };
}

export function authorize(sec: Security, a: RequestAttributes): void {
  const d = sec.authz.authorize(a);
  if (!d.allowed) throw forbiddenError(a, d.reason);
}
