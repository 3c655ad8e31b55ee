import type { IncomingMessage } from 'node:http';
import { StatusError, badRequest } from '../../api/errors.js';
import { findJsonError } from './json-error.js';
import { yaml } from '../../util/yaml.js';
import { PROTOBUF_CONTENT_TYPE } from '../protobuf/content-type.js';

/** Upstream's limit for a request body (3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Bodies read per request, for the audit log (Request and RequestResponse levels). */
export const requestBodies = new WeakMap<IncomingMessage, Buffer>();

// Listeners rather than `for await`: an async iterator per request cost more
// than the rest of reading a small body.
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  if (req.readableEnded) return Promise.resolve(requestBodies.get(req) ?? Buffer.alloc(0));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        stop();
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      stop();
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      requestBodies.set(req, body);
      resolve(body);
    };
    const onError = (err: Error): void => {
      stop();
      reject(err);
    };
    const onClose = (): void => {
      if (req.complete) return;
      stop();
      reject(new Error('the client closed the connection before sending the whole request body'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function tooLarge(limit: number): StatusError {
  return new StatusError(413, 'RequestEntityTooLarge', `the request body is larger than the limit of ${limit} bytes`);
}

function lineCol(text: string, pos: number): string {
  let line = 1;
  let col = 1;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return `line ${line}, column ${col}`;
}

/** JSON with an error that says where it broke. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const at = findJsonError(text);
    const found = at.offset < text.length ? `found ${JSON.stringify(text.slice(at.offset, at.offset + 12))}` : 'found the end of the input';
    throw badRequest(`the request body is not valid JSON at ${lineCol(text, at.offset)}: expected ${at.expected}, ${found}`);
  }
}

export function parseYaml(text: string): unknown {
  const doc = yaml().parseDocument(text, { prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
    throw badRequest(`the request body is not valid YAML${where}: ${e.message.split('\n')[0]}`);
  }
  return doc.toJS({ maxAliasCount: 100 });
}

/** Decodes a body by its Content-Type: JSON, YAML, Kubernetes protobuf, or 415. */
export async function decodeBody(body: Buffer, contentType: string | undefined): Promise<unknown> {
  const ct = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (ct === PROTOBUF_CONTENT_TYPE) {
    // kubectl's typed clients (create configmap/deployment/..., auth can-i) send protobuf bodies.
    if (body.length === 0) throw badRequest('the request body is empty: send the object to write');
    const [{ decodeKubernetesProtobuf }, { loadSchemaRegistry }] = await Promise.all([import('../protobuf/index.js'), import('../../api/schema/index.js')]);
    return decodeKubernetesProtobuf(body, loadSchemaRegistry());
  }
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty: send the object to write as JSON or YAML');
  switch (ct) {
    case 'application/json':
    case 'application/json-patch+json':
    case 'application/merge-patch+json':
    case 'application/strategic-merge-patch+json':
    case '':
      return parseJson(text);
    case 'application/yaml':
    case 'application/apply-patch+yaml':
    case 'text/yaml':
      return parseYaml(text);
    default:
      throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
  }
}
