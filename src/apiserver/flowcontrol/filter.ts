// Upstream's WithPriorityAndFairness filter: after authentication and
// impersonation, before authorization, each request is classified into a
// FlowSchema and its priority level, and it starts only when that level has a
// seat for it. With Node's one event loop a seat bounds the requests whose
// work has begun (body decoded, storage called): a request waiting in a queue
// holds its bytes and nothing else, so a node's Lease PUT arriving behind a
// thousand pod creates starts as soon as node-high has a seat, which those
// creates cannot take.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceRequest } from '../http/request-info.js';
import type { UserInfo } from '../../auth/user.js';
import { readBody } from '../http/body.js';
import { isLongRunning } from '../http/max-in-flight.js';
import { logger } from '../../util/log.js';
import { FLOW_SCHEMAS, PRIORITY_LEVELS } from './bootstrap.js';
import { classify, sortFlowSchemas, type Classification } from './match.js';
import { FlowcontrolStats } from './metrics.js';
import { QueueSet, type RejectReason, type Seat } from './queue-set.js';
import type { FlowSchema, PriorityLevel } from './types.js';

const log = logger('apiserver');

export const FLOW_SCHEMA_UID_HEADER = 'X-Kubernetes-PF-FlowSchema-UID';
export const PRIORITY_LEVEL_UID_HEADER = 'X-Kubernetes-PF-PriorityLevel-UID';

/** Upstream's queue wait limit: a quarter of the default request timeout (60 s). */
export const DEFAULT_QUEUE_WAIT_LIMIT_MS = 15_000;

export interface PriorityAndFairnessOptions {
  /** The server's concurrency limit: --max-requests-inflight + --max-mutating-requests-inflight (upstream); 0 or less: no limit. */
  serverConcurrencyLimit: number;
  queueWaitLimitMs?: number;
  flowSchemas?: readonly FlowSchema[];
  priorityLevels?: readonly PriorityLevel[];
}

interface Level {
  config: PriorityLevel;
  queues: QueueSet;
}

/**
 * Upstream's nominal concurrency limits: each limited level gets
 * ceil(serverCL × its shares / the sum of all levels' shares) seats.
 */
export function nominalLimits(levels: readonly PriorityLevel[], serverConcurrencyLimit: number): Map<string, number> {
  const shares = (l: PriorityLevel): number => (l.spec.type === 'Exempt' ? (l.spec.exempt?.nominalConcurrencyShares ?? 0) : (l.spec.limited?.nominalConcurrencyShares ?? 0));
  const sum = levels.reduce((s, l) => s + shares(l), 0);
  const out = new Map<string, number>();
  for (const l of levels) {
    if (l.spec.type === 'Exempt' || serverConcurrencyLimit <= 0 || sum <= 0) out.set(l.name, Infinity);
    else out.set(l.name, Math.ceil((serverConcurrencyLimit * shares(l)) / sum));
  }
  return out;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function hasUnreadBody(req: IncomingMessage): boolean {
  if (!BODY_METHODS.has(req.method ?? '') || req.readableEnded) return false;
  const length = req.headers['content-length'];
  return length !== undefined ? Number(length) > 0 : req.headers['transfer-encoding'] !== undefined;
}

export class PriorityAndFairness {
  readonly stats = new FlowcontrolStats();
  private readonly schemas: FlowSchema[];
  private readonly levels = new Map<string, Level>();
  readonly limits: Map<string, number>;

  constructor(opts: PriorityAndFairnessOptions) {
    // Copies: adoptUids replaces their uids with those of the stored objects.
    this.schemas = sortFlowSchemas((opts.flowSchemas ?? FLOW_SCHEMAS).map((s) => ({ ...s })));
    const levels = (opts.priorityLevels ?? PRIORITY_LEVELS).map((l) => ({ ...l }));
    this.limits = nominalLimits(levels, opts.serverConcurrencyLimit);
    const wait = opts.queueWaitLimitMs ?? DEFAULT_QUEUE_WAIT_LIMIT_MS;
    for (const config of levels) {
      const limitResponse = config.spec.limited?.limitResponse;
      const queuing = limitResponse?.type === 'Queue' ? limitResponse.queuing : undefined;
      const queues = new QueueSet(this.limits.get(config.name)!, queuing, wait);
      this.levels.set(config.name, { config, queues });
      this.stats.describeLevel(config.name, this.limits.get(config.name)!, () => queues.executing);
    }
  }

  /** The configuration this filter classifies by (for creating its objects). */
  configuration(): { schemas: readonly FlowSchema[]; levels: readonly PriorityLevel[] } {
    return { schemas: this.schemas, levels: [...this.levels.values()].map((l) => l.config) };
  }

  /** The uids of the stored FlowSchema and PriorityLevelConfiguration objects, for the response headers. */
  adoptUids(uids: { schemas: Map<string, string>; levels: Map<string, string> }): void {
    for (const s of this.schemas) s.uid = uids.schemas.get(s.name) ?? s.uid;
    for (const l of this.levels.values()) l.config.uid = uids.levels.get(l.config.name) ?? l.config.uid;
  }

  /** The level a request of this classification is served at, for tests. */
  levelOf(c: Classification): PriorityLevel | undefined {
    return this.levels.get(c.schema.spec.priorityLevelConfiguration.name)?.config;
  }

  classify(user: UserInfo, rr: ResourceRequest | undefined, method: string, path: string): Classification | undefined {
    return classify(this.schemas, { user, resource: rr, method: method.toLowerCase() === 'head' ? 'get' : method.toLowerCase(), path });
  }

  /** Requests executing and waiting at a level (tests, logs). */
  levelState(name: string): { executing: number; waiting: number; seats: number } | undefined {
    const l = this.levels.get(name);
    return l && { executing: l.queues.executing, waiting: l.queues.waiting, seats: l.queues.seats };
  }

  /**
   * true: the request may go on (a seat is held until its response closes);
   * false: it was answered with 429 (or its client left while it waited).
   * Synchronous whenever no wait is needed, so the common path makes no promise.
   */
  admit(req: IncomingMessage, res: ServerResponse, rr: ResourceRequest | undefined, user: UserInfo, path: string): boolean | Promise<boolean> {
    const method = req.method ?? 'GET';
    // exec, attach, port-forward, logs and proxy hold a connection, not the server's work: upstream does not classify them.
    if (isLongRunning(rr) && rr?.verb !== 'watch') return true;
    const c = this.classify(user, rr, method, path);
    const level = c && this.levels.get(c.schema.spec.priorityLevelConfiguration.name);
    if (!c || !level) return true; // no schema matched (not with the mandatory catch-all): upstream serves it unlimited too
    res.setHeader(FLOW_SCHEMA_UID_HEADER, c.schema.uid);
    res.setHeader(PRIORITY_LEVEL_UID_HEADER, level.config.uid);
    const pl = level.config.name;
    const fs = c.schema.name;
    // A watch's seat covers only its start in upstream; serving the initial list happens in its handler, not counted here.
    if (rr?.verb === 'watch') {
      this.stats.dispatchedOnly(pl, fs);
      return true;
    }
    const flow = `${fs}\u0000${c.distinguisher}`;
    const seat = level.queues.tryStart(flow);
    if (seat) {
      this.hold(seat, res, pl, fs);
      return true;
    }
    const refused = level.queues.refusal(flow);
    if (refused) {
      this.refuse(res, pl, fs, refused);
      return false;
    }
    return this.wait(req, res, level, flow, pl, fs);
  }

  private hold(seat: Seat, res: ServerResponse, pl: string, fs: string): void {
    this.stats.started(pl, fs);
    res.once('close', () => {
      this.stats.finished(pl, fs);
      seat.release();
    });
  }

  private refuse(res: ServerResponse, pl: string, fs: string, reason: RejectReason): void {
    this.stats.reject(pl, fs, reason);
    if (reason === 'cancelled' || res.headersSent || res.destroyed) return;
    // Upstream's tooManyRequests: plain text with Retry-After.
    res.writeHead(429, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Retry-After': '1' });
    res.end('Too many requests, please try again later.\n');
  }

  private async wait(req: IncomingMessage, res: ServerResponse, level: Level, flow: string, pl: string, fs: string): Promise<boolean> {
    // The body arrives whether or not the request waits: take it off the socket now (the handler's readBody
    // then finds it), so a request that waits holds bytes, not a half-read stream, and a slow upload is not
    // what it waits for once a seat frees. Decoding waits for the seat.
    if (hasUnreadBody(req)) await readBody(req);
    const wait = level.queues.enqueue(flow);
    this.stats.queued(pl, fs, 1);
    const gone = (): void => wait.cancel();
    res.once('close', gone);
    const outcome = await wait.outcome;
    this.stats.queued(pl, fs, -1);
    res.off('close', gone);
    if (typeof outcome === 'string') {
      if (outcome === 'time-out') log.debug({ priorityLevel: pl, flowSchema: fs }, 'request waited past the queue wait limit');
      this.refuse(res, pl, fs, outcome);
      return false;
    }
    if (res.destroyed || res.writableEnded) {
      outcome.release();
      return false;
    }
    this.hold(outcome, res, pl, fs);
    return true;
  }
}
