// Serves /openapi/v2 (JSON or gnostic protobuf) and /openapi/v3 (a root that
// lists one document per group/version, each addressed by its content hash).
// Documents are built on first request and cached: server start stays fast,
// and kubectl, which asks for them on every create/apply/explain, gets
// ETag/304 and immutable-by-hash responses.

import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatusError } from '../../api/errors.js';
import type { SchemaRegistry } from '../../api/schema/types.js';
import type { ResourceInfo } from '../../api/scheme/resources.js';
import { logger } from '../../util/log.js';
import { buildV2Document } from './v2-document.js';
import { encodeV2Document } from './v2-protobuf.js';
import { buildV3Documents, gvPath } from './v3-documents.js';

const log = logger('apiserver');

const V2_PROTO_ACCEPT = ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf'];
const V2_PROTO_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
const JSON_TYPE = 'application/json';

interface Rendered {
  body: Buffer;
  contentType: string;
  etag: string;
}

function rendered(body: Buffer | Uint8Array, contentType: string): Rendered {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return { body: buf, contentType, etag: createHash('sha512').update(buf).digest('hex').toUpperCase() };
}

function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

/** Media types the client accepts, best first (q-values honoured, order otherwise kept). */
function accepted(header: string | undefined): string[] {
  if (!header) return ['*/*'];
  return header
    .split(',')
    .map((part, i) => {
      const [type, ...params] = part.trim().split(';');
      const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { type: type.trim().toLowerCase(), q: qp ? Number(qp.slice(2)) : 1, i };
    })
    .filter((a) => a.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i)
    .map((a) => a.type);
}

function sendStatus(res: ServerResponse, err: StatusError): void {
  const body = JSON.stringify(err.toStatus());
  res.writeHead(err.code, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function etagMatches(req: IncomingMessage, etag: string): boolean {
  const inm = req.headers['if-none-match'];
  if (!inm) return false;
  return inm.split(',').some((t) => {
    const v = t.trim().replace(/^W\//, '');
    return v === '*' || v === `"${etag}"`;
  });
}

function send(req: IncomingMessage, res: ServerResponse, doc: Rendered, extra: Record<string, string> = {}): void {
  const headers: Record<string, string> = { ETag: `"${doc.etag}"`, Vary: 'Accept', ...extra };
  if (etagMatches(req, doc.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Type': doc.contentType, 'Content-Length': doc.body.length });
  res.end(req.method === 'HEAD' ? undefined : doc.body);
}

export function createOpenApiHandler(
  schemas: SchemaRegistry,
  resources: readonly ResourceInfo[],
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const v2Doc = lazy(() => {
    const started = performance.now();
    const doc = buildV2Document(schemas, resources);
    log.debug({ ms: Math.round(performance.now() - started) }, 'built OpenAPI v2 document');
    return doc;
  });
  const v2Json = lazy(() => rendered(Buffer.from(JSON.stringify(v2Doc())), JSON_TYPE));
  const v2Proto = lazy(() => rendered(encodeV2Document(v2Doc()), V2_PROTO_TYPE));
  const v3 = lazy(() => {
    const docs = new Map<string, Rendered>();
    for (const [key, doc] of buildV3Documents(schemas, resources)) docs.set(key, rendered(Buffer.from(JSON.stringify(doc)), JSON_TYPE));
    return docs;
  });
  const v3Root = lazy(() => {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const [key, doc] of v3()) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${doc.etag}` };
    return rendered(Buffer.from(JSON.stringify({ paths })), JSON_TYPE);
  });
  const knownGvs = new Set(resources.map((r) => gvPath(r.group, r.version)));

  const serveV2 = (req: IncomingMessage, res: ServerResponse) => {
    for (const type of accepted(req.headers.accept)) {
      if (V2_PROTO_ACCEPT.includes(type)) return send(req, res, v2Proto());
      if (type === JSON_TYPE || type === 'application/*' || type === '*/*') return send(req, res, v2Json());
    }
    sendStatus(res, new StatusError(406, 'NotAcceptable', `only the following media types are accepted: ${[JSON_TYPE, ...V2_PROTO_ACCEPT].join(', ')}`));
  };

  const serveV3 = (req: IncomingMessage, res: ServerResponse, url: URL, key: string) => {
    if (!knownGvs.has(key)) return sendStatus(res, new StatusError(404, 'NotFound', `the server could not find the requested resource`));
    if (!accepted(req.headers.accept).some((t) => t === JSON_TYPE || t === 'application/*' || t === '*/*')) {
      return sendStatus(res, new StatusError(406, 'NotAcceptable', `only the following media types are accepted: ${JSON_TYPE}`));
    }
    const doc = v3().get(key)!;
    const hash = url.searchParams.get('hash');
    if (hash && hash !== doc.etag) {
      // An outdated link: send the client to the current content, as upstream does.
      res.writeHead(301, { Location: `/openapi/v3/${key}?hash=${doc.etag}` });
      res.end();
      return;
    }
    const immutable: Record<string, string> = hash
      ? { 'Cache-Control': 'public, immutable', Expires: new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString() }
      : {};
    send(req, res, doc, immutable);
  };

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '');
    const ours = path === '/openapi/v2' || path === '/openapi/v3' || path.startsWith('/openapi/v3/') || path === '/swagger-2.0.0.pb-v1';
    if (!ours) return false;
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendStatus(res, new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
      } else if (path === '/swagger-2.0.0.pb-v1') {
        sendStatus(res, new StatusError(404, 'NotFound', 'the server could not find the requested resource'));
      } else if (path === '/openapi/v2') {
        serveV2(req, res);
      } else if (path === '/openapi/v3') {
        send(req, res, v3Root());
      } else {
        serveV3(req, res, url, path.slice('/openapi/v3/'.length));
      }
    } catch (err) {
      log.error({ err }, 'serving OpenAPI failed');
      sendStatus(res, new StatusError(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`));
    }
    return true;
  };
}
