import type { KubeObject } from '../../api/types.js';
import { StatusError, badRequest } from '../../api/errors.js';
import { listParams } from './selectors.js';
import { renderObject } from './output.js';
import { storedJson } from '../registry/codec.js';
import type { RequestContext } from './context.js';
import { drained, toStatusError, writeWithin } from '../http/respond.js';

/** Upstream's --min-request-timeout: watches end after 30–60 minutes so clients rebalance. */
const MIN_REQUEST_TIMEOUT_S = 1800;

/**
 * How much a watch may have queued for its socket before it waits for 'drain'. Not the stream's 16 KiB: a
 * 'drain' comes one event-loop turn after the write at the earliest, and a busy server's turns take 50–300 ms,
 * so waiting at every 16 KiB held a watch to 50–300 KB/s — under the 850 KB/s of 1,000 Lease renewals a second,
 * and the controller manager's Lease watch fell behind by seconds, then out of the ring. A consumer that really
 * is too slow still ends at the watch cache's lag limit; this only bounds what one watch holds in memory.
 */
const WATCH_BUFFER_BYTES = 4 << 20;

// Every JSON watcher of a resource receives the same decoded object for an
// event: its line is made once, not once per watcher, and from the text the
// object was stored as when there is one (no serialising at all).
const lines = new WeakMap<KubeObject, Map<string, string>>();

function eventLine(type: string, obj: KubeObject): string {
  const key = `${type} ${obj.apiVersion ?? ''} ${obj.kind ?? ''}`;
  let byKey = lines.get(obj);
  let line = byKey?.get(key);
  if (line === undefined) {
    const text = storedJson(obj);
    line = text !== undefined ? `{"type":${JSON.stringify(type)},"object":${text}}\n` : JSON.stringify({ type, object: obj }) + '\n';
    if (!byKey) lines.set(obj, (byKey = new Map()));
    byKey.set(key, line);
  }
  return line;
}

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

  // A watcher whose socket stops taking data is not buffered without bound:
  // past WATCH_BUFFER_BYTES the watch waits for 'drain', and the watch cache
  // ends it (410 Expired, the client re-lists) once it falls too far behind,
  // as upstream's cacher closes a watcher that cannot keep up.
  let waiting: Promise<void> | undefined;
  const backpressure = (): Promise<void> => {
    waiting ??= drained(res).then(() => {
      waiting = undefined;
    });
    return waiting;
  };
  // Events delivered in one burst (the watch cache hands them over together) go out in one socket write:
  // each write is a syscall and, under TLS, a record of its own, and a busy watch sends thousands a second.
  let corked: { uncork(): void } | undefined;
  const writeLine = (line: string): void | Promise<void> => {
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
    if (!writeWithin(res, line, WATCH_BUFFER_BYTES)) return backpressure();
  };
  const send = (type: string, obj: unknown): void | Promise<void> => writeLine(JSON.stringify({ type, object: obj }) + '\n');
  // Tables carry column definitions on the first event only, as upstream.
  let headersSent = false;
  const emit = (type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK', obj: KubeObject): void | Promise<void> => {
    if (ctx.output.kind === 'json') return writeLine(eventLine(type, obj));
    const out = send(type, renderObject(ctx, obj, { noHeaders: headersSent }));
    headersSent = true;
    return out;
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
