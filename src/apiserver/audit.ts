import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditAttributes, AuditLogger } from '../auth/audit.js';
import type { UserInfo } from '../auth/user.js';
import type { RequestAttributes } from '../auth/authz/index.js';
import { requestBodies } from './http/body.js';

// One audit event per request at ResponseComplete, as upstream's audit
// filter: the level comes from the policy; bodies are kept only when the
// level asks for them (request bodies are remembered by readBody, response
// bodies captured here), and watches never buffer their streams.

function parse(buf: Buffer | undefined): unknown {
  if (!buf || buf.length === 0) return undefined;
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function auditRequest(logger: AuditLogger, req: IncomingMessage, res: ServerResponse, attrs: RequestAttributes, authenticatedAs: UserInfo): void {
  const received = new Date();
  const a: AuditAttributes = { ...attrs, path: attrs.path ?? new URL(req.url ?? '/', 'http://x').pathname };
  const level = logger.levelFor(a);
  if (level === 'None') return;
  const chunks: Buffer[] = [];
  // Bodies are kept at RequestResponse; at lower levels only a failure's Status, whose
  // message upstream records at every level from Metadata up.
  const wholeBody = level === 'RequestResponse';
  if (attrs.verb !== 'watch') {
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    const keep = (c: unknown) => {
      if (!wholeBody && res.statusCode < 400) return;
      if (typeof c === 'string') chunks.push(Buffer.from(c));
      else if (Buffer.isBuffer(c)) chunks.push(c);
    };
    res.write = ((c: unknown, ...rest: unknown[]) => {
      keep(c);
      return (write as (...x: unknown[]) => boolean)(c, ...rest);
    }) as typeof res.write;
    res.end = ((c?: unknown, ...rest: unknown[]) => {
      if (typeof c !== 'function') keep(c);
      return (end as (...x: unknown[]) => ServerResponse)(c, ...rest);
    }) as typeof res.end;
  }
  res.once('finish', () => {
    // attrs.user becomes the impersonated user once impersonation is granted.
    a.user = attrs.user;
    const response = parse(Buffer.concat(chunks)) as { kind?: string; status?: string; message?: string; reason?: string } | undefined;
    logger.log({
      attrs: a,
      requestURI: req.url ?? '/',
      sourceIPs: [req.socket.remoteAddress ?? ''],
      userAgent: req.headers['user-agent'],
      impersonatedBy: authenticatedAs.username !== attrs.user.username ? authenticatedAs : undefined,
      code: res.statusCode,
      status: response?.kind === 'Status' ? response : undefined,
      requestObject: parse(requestBodies.get(req)),
      responseObject: wholeBody ? response : undefined,
      requestReceived: received,
    });
  });
}

/** Upstream's getAuthMethods: what the client tried, for the failed-authentication event. */
function attemptedMethods(req: IncomingMessage): string {
  const methods: string[] = [];
  const auth = (req.headers.authorization ?? '').trim();
  const scheme = auth.split(' ')[0]?.toLowerCase();
  if (scheme === 'basic') methods.push('basic');
  if (scheme === 'bearer' && auth.split(' ').length > 1) methods.push('bearer');
  if (new URL(req.url ?? '/', 'http://x').searchParams.get('access_token')) methods.push('access_token');
  const tls = req.socket as { getPeerCertificate?: () => { raw?: Buffer } };
  if (tls.getPeerCertificate?.()?.raw) methods.push('x509');
  return methods.length ? `Authentication failed, attempted: ${methods.join(', ')}` : 'Authentication failed, no credentials provided';
}

/**
 * A request that failed authentication (401): one event at ResponseStarted
 * with no user, as upstream's failed-authentication audit filter, so probes
 * with stolen or expired credentials leave a trace.
 */
export function auditFailedAuthentication(logger: AuditLogger, req: IncomingMessage, res: ServerResponse, attrs: RequestAttributes): void {
  const received = new Date();
  const a: AuditAttributes = { ...attrs, path: attrs.path ?? new URL(req.url ?? '/', 'http://x').pathname };
  if (logger.levelFor(a) === 'None') return;
  const message = attemptedMethods(req);
  res.once('finish', () => {
    logger.log({
      attrs: a,
      requestURI: req.url ?? '/',
      sourceIPs: [req.socket.remoteAddress ?? ''],
      userAgent: req.headers['user-agent'],
      code: res.statusCode,
      status: { message },
      requestReceived: received,
      stage: 'ResponseStarted',
    });
  });
}
