// The hollow nodes' control API, on 127.0.0.1 only: list the nodes, stop
// one (a dead node, as far as the control plane can tell) or start it
// again, and change every node's Lease duration. Plain JSON over HTTP so
// curl is the client.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HollowCluster } from './harness.js';

export interface ControlServer {
  port: number;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const MAX_BODY = 4096;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      text += d;
      if (text.length > MAX_BODY) req.destroy(new Error(`body over ${MAX_BODY} bytes`));
    });
    req.once('end', () => resolve(text));
    req.once('error', reject);
  });
}

/**
 * Every node's Lease duration from now on, renewed every quarter of it (upstream's kubelet): what a rolling
 * restart of the kubelets with a new nodeLeaseDurationSeconds does, without restarting a thousand of them.
 */
function setLeaseDuration(cluster: HollowCluster, body: string, res: http.ServerResponse): void {
  let seconds: unknown;
  try {
    seconds = (JSON.parse(body) as { leaseDurationSeconds?: unknown } | null)?.leaseDurationSeconds;
  } catch (err) {
    return send(res, 400, { error: `body is not JSON: ${(err as Error).message}` });
  }
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1) return send(res, 400, { error: 'leaseDurationSeconds must be a whole number of seconds, at least 1' });
  if (!cluster.leases) return send(res, 409, { error: 'these hollow nodes run kubelet servers, whose kubelets renew their own Leases: restart them with --lease-duration' });
  const renewEveryMs = (seconds * 1000) / 4;
  cluster.leases.setDuration(seconds, renewEveryMs);
  send(res, 200, { leaseDurationSeconds: seconds, renewEveryMs });
}

export async function startControlServer(cluster: HollowCluster, port = 0): Promise<ControlServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const parts = url.pathname.split('/').filter(Boolean);
    const run = async (): Promise<void> => {
      if (req.method === 'GET' && url.pathname === '/healthz') return send(res, 200, { ok: true });
      if (req.method === 'GET' && url.pathname === '/nodes') return send(res, 200, { nodes: cluster.list() });
      if (req.method === 'GET' && url.pathname === '/leases') return send(res, 200, cluster.leases?.stats ?? {});
      if (req.method === 'PUT' && url.pathname === '/leases') return setLeaseDuration(cluster, await readBody(req), res);
      if (parts[0] === 'nodes' && parts.length === 3 && (parts[2] === 'stop' || parts[2] === 'start')) {
        if (req.method !== 'POST') return send(res, 405, { error: `use POST /nodes/${parts[1]}/${parts[2]}` });
        const name = decodeURIComponent(parts[1]!);
        const ok = parts[2] === 'stop' ? await cluster.stopNode(name) : await cluster.startNode(name);
        if (!ok) return send(res, 404, { error: `no hollow node "${name}"` });
        return send(res, 200, cluster.list().find((n) => n.name === name));
      }
      send(res, 404, { error: 'routes: GET /nodes, GET /leases, PUT /leases {"leaseDurationSeconds": N}, POST /nodes/NAME/stop, POST /nodes/NAME/start' });
    };
    if (!(req.method === 'PUT' && url.pathname === '/leases')) req.resume();
    run().catch((err: unknown) => send(res, 500, { error: (err as Error).message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
