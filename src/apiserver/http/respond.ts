import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatusError, internalError } from '../../api/errors.js';
import { isStorageError } from '../../storage/errors.js';
import { logger } from '../../util/log.js';
import type { JsonListBody } from '../registry/resource-store.js';

const log = logger('apiserver');

export function writeJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const data = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

// A list bigger than this is sent in chunks of about this many characters with
// chunked transfer encoding, made only as the socket takes them: the response
// then never exists whole, neither as a string nor as a Buffer. 64 clients
// listing 10,000 pods at once otherwise held four copies of each list at the
// same time (rows, stamped items, the joined text, its bytes).
const LIST_CHUNK = 64 * 1024;

/**
 * How much a list response may have queued before it waits for 'drain'. Not
 * the stream's 16 KiB, for the reason the watch's buffer is large: a 'drain'
 * comes a whole event-loop turn after the write at the earliest, so waiting
 * at every chunk held a page of 500 pods (about 1.5 MB) to some 25 turns, and
 * on a busy server a turn is 50–300 ms. 64 such lists hold 64 MiB at most.
 */
export const LIST_BUFFER_BYTES = 1 << 20;

/**
 * Writes `chunk`; false when the caller should wait for 'drain' before the
 * next: only once more than `budget` bytes are queued, not as soon as the
 * stream passes its own mark.
 */
export function writeWithin(res: ServerResponse, chunk: string, budget: number): boolean {
  return res.write(chunk) || res.writableLength <= budget;
}

/** Resolves true once `res` can take more, false if the client went away first. */
export function drained(res: ServerResponse): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/** Writes a JSON list a chunk at a time, waiting for the socket past LIST_BUFFER_BYTES (small lists go out in one piece). */
export async function writeJsonList(res: ServerResponse, code: number, body: JsonListBody): Promise<void> {
  let chunk = body.head;
  let i = 0;
  for (; i < body.count && chunk.length < LIST_CHUNK; i++) chunk += (i === 0 ? '' : ',') + body.item(i);
  if (i === body.count) {
    writeJson(res, code, chunk + body.tail);
    return;
  }
  res.writeHead(code, { 'Content-Type': 'application/json' });
  for (;;) {
    if (!writeWithin(res, chunk, LIST_BUFFER_BYTES) && !(await drained(res))) return;
    if (i === body.count) break;
    chunk = '';
    for (; i < body.count && chunk.length < LIST_CHUNK; i++) chunk += ',' + body.item(i);
  }
  res.end(body.tail);
}

export function toStatusError(err: unknown): StatusError {
  if (err instanceof StatusError) return err;
  if (isStorageError(err, 'Unavailable')) return new StatusError(503, 'ServiceUnavailable', `storage is unavailable: ${err.message}`);
  return internalError(err instanceof Error ? err.message : String(err));
}

export function writeError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  const se = toStatusError(err);
  if (se.code >= 500) log.error({ method: req.method, url: req.url, err: err instanceof Error ? err.stack : String(err) }, 'request failed');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const retryAfter = se.details?.retryAfterSeconds;
  if (retryAfter && retryAfter > 0) res.setHeader('Retry-After', String(retryAfter));
  writeJson(res, se.code, se.toStatus());
}

export type OutputFormat =
  | { kind: 'json' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'partial'; version: 'v1' | 'v1beta1'; list: boolean };

/**
 * Content negotiation for resource responses: kubectl asks for Tables,
 * metadata-only clients for PartialObjectMetadata; everyone else gets JSON.
 */
export function negotiateOutput(accept: string | undefined): OutputFormat {
  if (!accept) return { kind: 'json' };
  let sawAcceptable = false;
  for (const clause of accept.split(',')) {
    const [type, ...params] = clause.split(';').map((s) => s.trim());
    const p: Record<string, string> = {};
    for (const kv of params) {
      const i = kv.indexOf('=');
      if (i > 0) p[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
    }
    const mt = (type ?? '').toLowerCase();
    if (mt !== 'application/json' && mt !== '*/*' && mt !== 'application/*') continue;
    sawAcceptable = true;
    if (mt !== 'application/json' || !p.as) return { kind: 'json' };
    if (p.g !== 'meta.k8s.io' || (p.v !== 'v1' && p.v !== 'v1beta1')) continue;
    if (p.as === 'Table') return { kind: 'table', version: p.v };
    if (p.as === 'PartialObjectMetadata') return { kind: 'partial', version: p.v, list: false };
    if (p.as === 'PartialObjectMetadataList') return { kind: 'partial', version: p.v, list: true };
  }
  if (!sawAcceptable) {
    throw new StatusError(406, 'NotAcceptable', `only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io`);
  }
  return { kind: 'json' };
}
