import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ContainerRuntime } from '../../runtime/interface.js';
import type { Logger } from '../../util/log.js';
import type { Pod } from '../api-types.js';

// The kubelet server's route table: each route file exports its routes and
// server.ts lists them in ROUTES, one line per file.

export type ContainerLookup = (namespace: string, pod: string, container: string, previous: boolean) => Promise<{ id: string } | { status: number; message: string }>;

/** What a route may use: the runtime and the pods this kubelet runs. */
export interface KubeletServerContext {
  runtime: ContainerRuntime;
  /** The newest (or, with previous, the one before) container of that name, for logs. */
  lookup: ContainerLookup;
  /** The pods the kubelet currently runs (API and static). */
  pods(): Pod[];
  log: Logger;
}

export interface KubeletRoute {
  /** Matched against the decoded path; capture groups become params (URI-decoded). */
  path: RegExp;
  /** Default: GET. */
  methods?: string[];
  /** A plain request. */
  handle?(req: IncomingMessage, res: ServerResponse, params: string[], url: URL, ctx: KubeletServerContext): void | Promise<void>;
  /** A request that asks to upgrade the connection (WebSocket or SPDY). */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, params: string[], url: URL, ctx: KubeletServerContext): void | Promise<void>;
}

export function textReply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(body);
}
