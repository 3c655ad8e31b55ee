import { StatusError } from '../../api/errors.js';
import type { RequestAttributes } from './types.js';

/**
 * The sentence upstream's responsewriters.Forbidden builds, with the
 * authorizer's reason after a colon when it gave one.
 */
export function forbiddenMessage(a: RequestAttributes, reason?: string): string {
  const user = a.user.username;
  let msg: string;
  if (!a.resourceRequest) {
    msg = `User ${JSON.stringify(user)} cannot ${a.verb} path ${JSON.stringify(a.path ?? '')}`;
  } else {
    const resource = a.subresource ? `${a.resource ?? ''}/${a.subresource}` : (a.resource ?? '');
    const scope = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
    msg = `User ${JSON.stringify(user)} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup ?? '')} ${scope}`;
  }
  return reason ? `${msg}: ${reason}` : msg;
}

/** The 403 Status upstream returns: apierrors.NewForbidden over the group/resource and name. */
export function forbiddenError(a: RequestAttributes, reason?: string): StatusError {
  const inner = forbiddenMessage(a, reason);
  const group = a.resourceRequest ? (a.apiGroup ?? '') : '';
  const resource = a.resourceRequest ? (a.resource ?? '') : '';
  const name = a.resourceRequest ? (a.name ?? '') : '';
  let message: string;
  if (!resource && !group) message = `forbidden: ${inner}`;
  else {
    const qualified = group ? `${resource}.${group}` : resource;
    message = name ? `${qualified} ${JSON.stringify(name)} is forbidden: ${inner}` : `${qualified} is forbidden: ${inner}`;
  }
  return new StatusError(403, 'Forbidden', message, { name: name || undefined, group: group || undefined, kind: resource || undefined });
}
