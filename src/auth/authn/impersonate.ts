import type { IncomingMessage } from 'node:http';
import { StatusError } from '../../api/errors.js';
import { ALL_AUTHENTICATED, ALL_UNAUTHENTICATED, ANONYMOUS_USER, serviceAccountGroups, serviceAccountUsername, splitServiceAccountUsername, type UserInfo } from '../user.js';
import type { Authorizer, RequestAttributes } from '../authz/types.js';
import { forbiddenError } from '../authz/forbidden.js';
import { logger } from '../../util/log.js';

const log = logger('auth');
const EXTRA_PREFIX = 'impersonate-extra-';

function headerValues(req: IncomingMessage, name: string): string[] {
  const out: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) out.push(raw[i + 1]!);
  return out;
}

function hasImpersonation(req: IncomingMessage): boolean {
  for (const k of Object.keys(req.headers)) if (k.startsWith('impersonate-')) return true;
  return false;
}

/**
 * Impersonate-User / -Group / -Uid / -Extra-*: each thing asked for is its
 * own authorization check with verb "impersonate", as upstream's
 * WithImpersonation filter; the first refusal is the 403.
 */
export async function impersonate(req: IncomingMessage, user: UserInfo, authz: Pick<Authorizer, 'authorize'>): Promise<UserInfo> {
  if (!hasImpersonation(req)) return user;
  const requestedUser = headerValues(req, 'impersonate-user')[0] ?? '';
  const groupsAsked = headerValues(req, 'impersonate-group');
  const uid = headerValues(req, 'impersonate-uid')[0] ?? '';
  const extras: [string, string][] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const k = req.rawHeaders[i]!.toLowerCase();
    if (!k.startsWith(EXTRA_PREFIX)) continue;
    let key = k.slice(EXTRA_PREFIX.length);
    try {
      key = decodeURIComponent(key).toLowerCase();
    } catch {
      /* keep the raw key, as upstream does when unescaping fails */
    }
    extras.push([key, req.rawHeaders[i + 1]!]);
  }
  if (!requestedUser) {
    if (groupsAsked.length || extras.length || uid) {
      throw new StatusError(500, 'InternalError', `Internal error occurred: requested impersonation of groups, uid or extra without impersonating a user`);
    }
    return user;
  }

  const checks: RequestAttributes[] = [];
  let username: string;
  let groups: string[] = [];
  const sa = splitServiceAccountUsername(requestedUser);
  if (sa) {
    username = serviceAccountUsername(sa.namespace, sa.name);
    checks.push({ user, verb: 'impersonate', resourceRequest: true, apiGroup: '', resource: 'serviceaccounts', namespace: sa.namespace, name: sa.name });
    if (!groupsAsked.length) groups = serviceAccountGroups(sa.namespace);
  } else {
    username = requestedUser;
    checks.push({ user, verb: 'impersonate', resourceRequest: true, apiGroup: '', resource: 'users', name: requestedUser });
  }
  for (const g of groupsAsked) {
    groups.push(g);
    checks.push({ user, verb: 'impersonate', resourceRequest: true, apiGroup: '', resource: 'groups', name: g });
  }
  const extra: Record<string, string[]> = {};
  for (const [k, v] of extras) {
    (extra[k] ??= []).push(v);
    checks.push({ user, verb: 'impersonate', resourceRequest: true, apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: k, name: v });
  }
  if (uid) checks.push({ user, verb: 'impersonate', resourceRequest: true, apiGroup: 'authentication.k8s.io', resource: 'uids', name: uid });

  for (const a of checks) {
    const d = authz.authorize(a);
    if (!d.allowed) {
      log.debug({ user: user.username, resource: a.resource, name: a.name }, 'impersonation forbidden');
      throw forbiddenError(a, d.reason);
    }
  }

  if (username !== ANONYMOUS_USER) {
    if (!groups.includes(ALL_AUTHENTICATED) && !groups.includes(ALL_UNAUTHENTICATED)) groups.push(ALL_AUTHENTICATED);
  } else if (!groups.includes(ALL_UNAUTHENTICATED)) groups.push(ALL_UNAUTHENTICATED);

  for (const k of Object.keys(req.headers)) if (k.startsWith('impersonate-')) delete req.headers[k];
  const out: UserInfo = { username, groups, extra };
  if (uid) out.uid = uid;
  return out;
}
