import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '../../src/api/types.js';
import type { ClientConfig } from '../../src/client/kubeconfig.js';

// A scripted stand-in for the API server, for client behaviour the real one
// cannot be made to show on demand (410 on watch, dropped streams, 429).

export interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Handler = (req: Recorded, res: http.ServerResponse) => void | boolean;

export class FakeApiServer {
  readonly requests: Recorded[] = [];
  readonly watches = new Set<http.ServerResponse>();
  private handlers: Handler[] = [];
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      this.requests.push(r);
      for (const h of this.handlers) if (h(r, res) !== false) return;
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found');
    });
  });
  url = '';

  /** Handlers run in order; returning false passes to the next. */
  on(h: Handler): void {
    this.handlers.push(h);
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  config(extra: Partial<ClientConfig> = {}): ClientConfig {
    return { server: this.url, namespace: 'default', ...extra };
  }

  /** Begin a chunked watch response and remember it so the test can push events. */
  openWatch(res: http.ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    this.watches.add(res);
    res.on('close', () => this.watches.delete(res));
  }

  send(event: { type: string; object: unknown }): void {
    for (const w of this.watches) w.write(JSON.stringify(event) + '\n');
  }

  endWatches(): void {
    for (const w of this.watches) w.end();
  }

  destroyWatches(): void {
    for (const w of this.watches) w.destroy();
  }

  async close(): Promise<void> {
    this.destroyWatches();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export function json(res: http.ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

export function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason, message };
}

export function cm(name: string, rv: string, data: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', resourceVersion: rv, uid: `uid-${name}` }, data };
}

/** Resolve once `cond` holds, polling; no deadline (the test runner's own timeout applies). */
export async function until(cond: () => boolean | Promise<boolean>, everyMs = 10): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, everyMs));
}
