import { badRequest } from '../../api/errors.js';

// What a resource request asks for, parsed from the URL as upstream's
// RequestInfoFactory does (including the legacy /watch/ prefix).

export type RequestVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ResourceRequest {
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  /** Path segments after the subresource (proxy paths). */
  rest: string[];
  verb: RequestVerb;
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/**
 * Parses /api/v1/... and /apis/GROUP/VERSION/... paths; returns undefined for
 * paths that are not resource requests (discovery and the like).
 */
export function parseResourcePath(method: string, pathname: string, query: URLSearchParams): ResourceRequest | undefined {
  const parts = pathname.split('/').filter((p) => p !== '');
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else return undefined;
  rest = rest.map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      throw badRequest(`malformed path segment ${JSON.stringify(p)}`);
    }
  });
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  if (rest.length === 0) return undefined;
  const resource = rest[0]!;
  const name = rest[1];
  const subresource = rest[2];
  const watchParam = query.get('watch');
  const isWatch = legacyWatch || watchParam === 'true' || watchParam === '1';
  let verb: RequestVerb;
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = name !== undefined ? (isWatch ? 'watch' : 'get') : isWatch ? 'watch' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name !== undefined ? 'delete' : 'deletecollection';
      break;
    default:
      verb = 'get';
  }
  return { group, version, namespace, resource, name, subresource, rest: rest.slice(3), verb };
}
