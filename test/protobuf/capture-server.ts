// A stand-in API server for capturing what the real kubectl sends: discovery
// comes from k8ts's own Discovery, GETs are answered from fixtures the test
// provides, OpenAPI is 404 (kubectl then skips validation), and every write is
// recorded with its raw body and answered 201 with the JSON the test chooses.
// It tests nothing about the server; it only gets real protobuf bytes.

import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Discovery } from '../../src/apiserver/discovery.js';
import { writeKubeconfig } from '../../src/apiserver/kubeconfig.js';

export interface CapturedWrite {
  method: string;
  path: string;
  contentType: string;
  body: Buffer;
}

export interface CaptureReply {
  code: number;
  body: unknown;
}

export interface CaptureOptions {
  /** Objects served to GET, by path (no query), ahead of discovery. Anything else is 404. */
  objects?: Record<string, unknown>;
  /** The answer to a write; by default 201 echoing the write's kind and name. */
  reply?: (w: CapturedWrite) => CaptureReply;
}

export interface CaptureServer {
  url: string;
  kubeconfig: string;
  writes: CapturedWrite[];
  close(): Promise<void>;
}

function send(res: http.ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function notFound(path: string): unknown {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `${path} not found`, reason: 'NotFound', code: 404 };
}

export async function startCaptureServer(opts: CaptureOptions = {}): Promise<CaptureServer> {
  const discovery = new Discovery();
  const writes: CapturedWrite[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET') {
        const obj = opts.objects?.[url.pathname];
        if (obj !== undefined) send(res, 200, obj);
        else if (!discovery.handle(req, res, url.pathname)) send(res, 404, notFound(url.pathname));
        return;
      }
      const w: CapturedWrite = {
        method: req.method ?? '',
        path: url.pathname,
        contentType: req.headers['content-type'] ?? '',
        body: Buffer.concat(chunks),
      };
      writes.push(w);
      const reply = opts.reply?.(w) ?? { code: 201, body: { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', code: 201 } };
      send(res, reply.code, reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-capture-'));
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  await writeKubeconfig(kubeconfig, { server: url });
  return {
    url,
    kubeconfig,
    writes,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
