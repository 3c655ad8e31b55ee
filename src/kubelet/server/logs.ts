import type { ServerResponse } from 'node:http';
import type { LogOptions } from '../../runtime/interface.js';
import { textReply, type KubeletRoute, type KubeletServerContext } from './routes.js';

// Upstream's /containerLogs/{namespace}/{pod}/{container}, which the API
// server's pods/log proxies to, so `kubectl logs [-f] [--previous]` works.

const truthy = (v: string | null): boolean => v === 'true' || v === '1';

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`invalid ${name}: ${JSON.stringify(v)}`);
  return n;
}

export function parseLogOptions(q: URLSearchParams, now = Date.now()): LogOptions & { previous: boolean } {
  const opts: LogOptions & { previous: boolean } = { previous: truthy(q.get('previous')), follow: truthy(q.get('follow')), timestamps: truthy(q.get('timestamps')) };
  const tail = intParam(q, 'tailLines');
  if (tail !== undefined) opts.tailLines = tail;
  const limit = intParam(q, 'limitBytes');
  if (limit !== undefined) opts.limitBytes = limit;
  const since = intParam(q, 'sinceSeconds');
  if (since !== undefined) opts.sinceMs = now - since * 1000;
  const sinceTime = q.get('sinceTime');
  if (sinceTime) {
    const t = Date.parse(sinceTime);
    if (Number.isNaN(t)) throw new Error(`invalid sinceTime: ${JSON.stringify(sinceTime)}`);
    opts.sinceMs = t;
  }
  return opts;
}

async function serveLogs(ctx: KubeletServerContext, res: ServerResponse, ns: string, pod: string, container: string, opts: ReturnType<typeof parseLogOptions>): Promise<void> {
  let found: Awaited<ReturnType<KubeletServerContext['lookup']>>;
  try {
    found = await ctx.lookup(ns, pod, container, opts.previous);
  } catch (err) {
    found = { status: 500, message: (err as Error).message };
  }
  if (!('id' in found)) return textReply(res, found.status, found.message);
  const ac = new AbortController();
  res.on('close', () => ac.abort());
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', ...(opts.follow ? { 'Transfer-Encoding': 'chunked' } : {}) });
  res.flushHeaders();
  ctx.runtime.logs(found.id, opts, res, ac.signal).then(
    () => res.end(),
    (err: Error) => {
      ctx.log.warn({ pod: `${ns}/${pod}`, container, err: err.message }, 'streaming container logs failed');
      res.end();
    },
  );
}

export const logRoutes: KubeletRoute[] = [
  {
    path: /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)\/?$/,
    handle(_req, res, [ns, pod, container], url, ctx) {
      let opts: ReturnType<typeof parseLogOptions>;
      try {
        opts = parseLogOptions(url.searchParams);
      } catch (err) {
        return textReply(res, 400, (err as Error).message);
      }
      void serveLogs(ctx, res, ns!, pod!, container!, opts);
    },
  },
];
