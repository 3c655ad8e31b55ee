import type { ServerResponse } from 'node:http';
import type { ResourceRequest } from './request-info.js';
import type { UserInfo } from '../../auth/user.js';
import { SYSTEM_MASTERS } from '../../auth/user.js';

// Upstream's max-in-flight filter (--max-requests-inflight,
// --max-mutating-requests-inflight): a server that has more requests in hand
// than it can finish answers the surplus at once with 429 and Retry-After,
// so clients back off instead of piling onto a queue whose wait outlives
// their timeouts. Long-running requests (watches, exec, logs, proxy) hold a
// connection, not the server's work, and are not counted; system:masters is
// never refused (upstream: "a super-admin or a loopback connection").

export interface MaxInFlightOptions {
  /** --max-requests-inflight (upstream default 400; 0 = no limit). */
  readOnly: number;
  /** --max-mutating-requests-inflight (upstream default 200; 0 = no limit). */
  mutating: number;
}

export const DEFAULT_MAX_IN_FLIGHT: MaxInFlightOptions = { readOnly: 400, mutating: 200 };

const LONG_RUNNING_SUBRESOURCES = new Set(['attach', 'exec', 'proxy', 'log', 'portforward']);
const READ_ONLY_VERBS = new Set(['get', 'list', 'watch']);

/** Upstream's BasicLongRunningRequestCheck over verbs watch, proxy and the streaming subresources. */
export function isLongRunning(rr: ResourceRequest | undefined): boolean {
  if (!rr) return false;
  return rr.verb === 'watch' || (rr.subresource !== undefined && LONG_RUNNING_SUBRESOURCES.has(rr.subresource));
}

export class MaxInFlight {
  private readOnlyInFlight = 0;
  private mutatingInFlight = 0;
  /** Requests refused since start, by kind (upstream: apiserver_dropped_requests_total). */
  readonly dropped = { readOnly: 0, mutating: 0 };

  constructor(private readonly limits: MaxInFlightOptions) {}

  get inFlight(): { readOnly: number; mutating: number } {
    return { readOnly: this.readOnlyInFlight, mutating: this.mutatingInFlight };
  }

  /**
   * Counts the request until its response closes; false when the server is
   * full and the request must be refused (the caller then answers tooManyRequests).
   */
  admit(method: string, rr: ResourceRequest | undefined, user: UserInfo, res: ServerResponse): boolean {
    if (isLongRunning(rr)) return true;
    const verb = rr ? rr.verb : method.toLowerCase();
    const mutating = !READ_ONLY_VERBS.has(verb === 'head' ? 'get' : verb);
    const limit = mutating ? this.limits.mutating : this.limits.readOnly;
    if (limit <= 0) return true;
    const current = mutating ? this.mutatingInFlight : this.readOnlyInFlight;
    if (current >= limit) {
      if (user.groups.includes(SYSTEM_MASTERS)) return true;
      if (mutating) this.dropped.mutating++;
      else this.dropped.readOnly++;
      return false;
    }
    if (mutating) this.mutatingInFlight++;
    else this.readOnlyInFlight++;
    res.once('close', () => {
      if (mutating) this.mutatingInFlight--;
      else this.readOnlyInFlight--;
    });
    return true;
  }
}

/** Upstream's tooManyRequests: a plain-text 429 with Retry-After: 1, not a Status object. */
export function writeTooManyRequests(res: ServerResponse): void {
  res.writeHead(429, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Retry-After': '1' });
  res.end('Too many requests, please try again later.\n');
}
