import type { KubeList, KubeObject } from '../../api/types.js';
import { badRequest } from '../../api/errors.js';
import type * as Tables from '../tables/index.js';
import { writeJson } from '../http/respond.js';
import type { RequestContext } from './context.js';

// The Table printers (~0.5 MB of heap) are loaded by the first request that
// asks for a Table (kubectl get); loadTables runs before such a request's
// handler, so rendering stays synchronous.
let tables: typeof Tables | undefined;

export async function loadTables(): Promise<void> {
  tables ??= await import('../tables/index.js');
}

function toTable(...args: Parameters<typeof Tables.toTable>): ReturnType<typeof Tables.toTable> {
  if (!tables) throw new Error('Table output was negotiated but the printers were not loaded (loadTables)');
  return tables.toTable(...args);
}

function includeObjectOf(q: URLSearchParams): Tables.IncludeObject {
  const v = q.get('includeObject');
  if (v === null || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw badRequest(`unrecognized includeObject value: "${v}"`);
}

export function partialMetadata(obj: KubeObject, version: string): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

function sendWarnings(ctx: RequestContext): void {
  if (ctx.warnings.length && !ctx.res.headersSent) {
    ctx.res.setHeader('Warning', ctx.warnings.map((w) => `299 - ${JSON.stringify(w)}`));
  }
}

/** Renders one object in the negotiated form (JSON, Table row, metadata only). */
export function renderObject(ctx: RequestContext, obj: KubeObject, opts: { noHeaders?: boolean } = {}): unknown {
  const out = ctx.output;
  if (out.kind === 'table') {
    return toTable(ctx.info, [obj], {}, { includeObject: includeObjectOf(ctx.query), version: out.version, noHeaders: opts.noHeaders });
  }
  if (out.kind === 'partial') return partialMetadata(obj, out.version);
  return obj;
}

/** `json`: the object already serialised (as stored), sent as is when plain JSON is wanted. */
export function writeObject(ctx: RequestContext, code: number, obj: KubeObject, json?: string): void {
  sendWarnings(ctx);
  writeJson(ctx.res, code, json !== undefined && ctx.output.kind === 'json' ? json : renderObject(ctx, obj));
}

export function writeList(ctx: RequestContext, list: KubeList): void {
  sendWarnings(ctx);
  const out = ctx.output;
  if (out.kind === 'table') {
    writeJson(ctx.res, 200, toTable(ctx.info, list.items, list.metadata, { includeObject: includeObjectOf(ctx.query), version: out.version }));
    return;
  }
  if (out.kind === 'partial') {
    writeJson(ctx.res, 200, {
      kind: 'PartialObjectMetadataList',
      apiVersion: `meta.k8s.io/${out.version}`,
      metadata: list.metadata,
      items: list.items.map((o) => partialMetadata(o, out.version)),
    });
    return;
  }
  writeJson(ctx.res, 200, list);
}

export function writeRaw(ctx: RequestContext, code: number, body: unknown): void {
  sendWarnings(ctx);
  writeJson(ctx.res, code, body);
}
