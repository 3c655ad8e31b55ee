import { badRequest } from '../../api/errors.js';

// Continue tokens carry the list's revision and the last key, as upstream's
// (base64 of {"v":"meta.k8s.io/v1","rv":N,"start":"KEY\u0000"}), so a paged
// list reads one consistent snapshot.

export interface ContinueToken {
  rv: number;
  /** The key to continue after. */
  after: string;
}

export function encodeContinue(rv: number, lastKey: string, prefix: string): string {
  const body = JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: lastKey.slice(prefix.length) + '\u0000' });
  return Buffer.from(body).toString('base64url');
}

export function decodeContinue(token: string, prefix: string): ContinueToken {
  let parsed: { v?: string; rv?: number; start?: string };
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('continue key is not valid: illegal base64 data or JSON');
  }
  if (parsed.v !== 'meta.k8s.io/v1') throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof parsed.rv !== 'number' || parsed.rv <= 0) throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof parsed.start !== 'string' || parsed.start.includes('..') || parsed.start.startsWith('/')) throw badRequest('continue key is not valid: path traversal not allowed');
  const start = parsed.start.endsWith('\u0000') ? parsed.start.slice(0, -1) : parsed.start;
  return { rv: parsed.rv, after: prefix + start };
}
