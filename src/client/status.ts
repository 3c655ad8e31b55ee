import { StatusError, type Status, type StatusReason } from '../api/errors.js';

// The API server answers failures with a Status object; proxies and
// non-Kubernetes endpoints may answer with anything. Either way callers get a
// StatusError whose reason follows the HTTP code as client-go's
// newUnstructuredResponseError does.

const REASONS: Record<number, { reason: StatusReason; message: string }> = {
  400: { reason: 'BadRequest', message: 'the server rejected our request for an unknown reason' },
  401: { reason: 'Unauthorized', message: 'the server has asked for the client to provide credentials' },
  403: { reason: 'Forbidden', message: 'the server does not allow access to the requested resource' },
  404: { reason: 'NotFound', message: 'the server could not find the requested resource' },
  405: { reason: 'MethodNotAllowed', message: 'the server does not allow this method on the requested resource' },
  406: { reason: 'NotAcceptable', message: 'the server was unable to respond with a content type that the client supports' },
  409: { reason: 'Conflict', message: 'the server reported a conflict' },
  410: { reason: 'Gone', message: 'the server reported the resource is gone' },
  413: { reason: 'RequestEntityTooLarge', message: 'the server has rejected the request because it is too large' },
  415: { reason: 'UnsupportedMediaType', message: 'the server does not support the media type of the request' },
  422: { reason: 'Invalid', message: 'the server rejected our request due to an error in our request' },
  429: { reason: 'TooManyRequests', message: 'the server has received too many requests and has asked us to try again later' },
  500: { reason: 'InternalError', message: 'an error on the server has prevented the request from succeeding' },
  503: { reason: 'ServiceUnavailable', message: 'the server is currently unable to handle the request' },
  504: { reason: 'Timeout', message: 'the server was unable to return a response in the time allotted, but may still be processing the request' },
};

export function isStatus(x: unknown): x is Status {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'Status';
}

export function statusToError(s: Status, httpCode?: number): StatusError {
  const code = s.code || httpCode || 500;
  const reason = (s.reason || REASONS[code]?.reason || 'Unknown') as StatusReason;
  return new StatusError(code, reason, s.message ?? REASONS[code]?.message ?? `status ${code}`, s.details);
}

/** Turn an error response body into a StatusError. */
export function responseError(code: number, body: string): StatusError {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isStatus(parsed)) return statusToError(parsed, code);
  } catch {
    // not JSON: fall through to the generic message
  }
  const known = REASONS[code];
  const text = body.trim();
  const message = known ? (text && text.length < 512 ? `${known.message} (${text})` : known.message) : `an error on the server ("${text.slice(0, 512)}") has prevented the request from succeeding`;
  return new StatusError(code, known?.reason ?? 'Unknown', message);
}

export function isNotFound(err: unknown): boolean {
  return err instanceof StatusError && err.code === 404;
}

export function isConflict(err: unknown): boolean {
  return err instanceof StatusError && err.code === 409 && err.reason === 'Conflict';
}

export function isAlreadyExists(err: unknown): boolean {
  return err instanceof StatusError && err.reason === 'AlreadyExists';
}

/** 410 Gone/Expired: the requested resourceVersion is too old; re-list. */
export function isExpired(err: unknown): boolean {
  return err instanceof StatusError && (err.code === 410 || err.reason === 'Expired' || err.reason === 'Gone');
}
