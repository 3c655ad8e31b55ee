import type { KubeObject } from '../../api/types.js';
import { StatusError, badRequest } from '../../api/errors.js';
import { listParams } from './selectors.js';
import { renderObject } from './output.js';
import type { RequestContext } from './context.js';
import { toStatusError } from '../http/respond.js';

/** Upstream's --min-request-timeout: watches end after 30–60 minutes so clients rebalance. */
const MIN_REQUEST_TIMEOUT_S = 1800;

/**
 * A watch stream: newline-delimited JSON events {type, object}, each
 * written as soon as it happens; an ERROR event carries a Status (410
 * Expired when the requested revision is gone).
 */
export async function handleWatch(ctx: RequestContext): Promise<void> {
  const { res, req, query } = ctx;
  const p = listParams(ctx);
  if (ctx.rr.name !== undefined) {
    p.fieldSelector = [...(p.fieldSelector ?? []), { field: 'metadata.name', op: '=', value: ctx.rr.name }];
  }
  const allowBookmarks = query.get('allowWatchBookmarks') === 'true';
  const sendInitialEvents = query.get('sendInitialEvents') === 'true';
  if (sendInitialEvents && query.get('resourceVersionMatch') !== 'NotOlderThan') {
    throw badRequest('sendInitialEvents is forbidden unless resourceVersionMatch is "NotOlderThan"');
  }
  if (p.resourceVersionMatch === 'Exact') throw badRequest('resourceVersionMatch "Exact" is forbidden for watch');
  p.resourceVersionMatch = undefined;
  const ts = query.get('timeoutSeconds');
  let timeoutS = MIN_REQUEST_TIMEOUT_S * (1 + Math.random());
  if (ts) {
    if (!/^\d+$/.test(ts)) throw badRequest(`timeoutSeconds must be a non-negative integer, got ${JSON.stringify(ts)}`);
    timeoutS = Number(ts);
  }

  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  let closed = false;
  let stop: (() => void) | undefined;
  const finish = (): void => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    stop?.();
    res.end();
  };
  const timer = setTimeout(finish, timeoutS * 1000);
  req.on('close', finish);
  res.on('error', finish);

  // Events delivered in one burst (the watch cache hands them over together) go out in one socket write:
  // each write is a syscall and, under TLS, a record of its own, and a busy watch sends thousands a second.
  let corked: { uncork(): void } | undefined;
  const send = (type: string, obj: unknown): void => {
    if (closed) return;
    const socket = res.socket;
    if (!corked && socket) {
      socket.cork();
      corked = socket;
      process.nextTick(() => {
        corked = undefined;
        socket.uncork();
      });
    }
    res.write(JSON.stringify({ type, object: obj }) + '\n');
  };
  // Tables carry column definitions on the first event only, as upstream.
  let headersSent = false;
  const emit = (type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK', obj: KubeObject): void => {
    send(type, renderObject(ctx, obj, { noHeaders: headersSent }));
    headersSent = true;
  };
  const onError = (err: StatusError): void => {
    send('ERROR', err.toStatus());
    finish();
  };
  try {
    const w = await ctx.store.watch({ ...p, allowBookmarks, sendInitialEvents }, emit, onError);
    stop = () => w.stop();
    if (closed) w.stop();
  } catch (err) {
    onError(toStatusError(err));
  }
}
