// The hollow fleet's Lease PUT transport against a scripted HTTP server:
// what it sends, the response framings it reads, and what it does when a
// connection goes away. The TLS path runs in hollow.test.ts against a real
// API server.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { LeaseTransport, leaseTransportSupports } from '../../src/hollow/lease-transport.js';
import { NodeLease, leaseRenewalBody } from '../../src/kubelet/node/lease.js';
import type { RestClient } from '../../src/client/rest.js';
import type { ClientConfig } from '../../src/client/kubeconfig.js';
import { logger } from '../../src/util/log.js';

interface Received {
  head: string;
  body: string;
}

/**
 * A server that reads one request at a time off each connection and answers
 * with whatever `answer` writes on the socket.
 */
async function scripted(answer: (req: Received, socket: net.Socket, n: number) => void): Promise<{ port: number; received: Received[]; connections: () => number; close: () => Promise<void> }> {
  const received: Received[] = [];
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.slice(0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        const req = { head, body: buf.slice(end + 4, end + 4 + length) };
        buf = buf.slice(end + 4 + length);
        received.push(req);
        answer(req, socket, received.length);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function config(port: number, extra: Partial<ClientConfig> = {}): ClientConfig {
  return { server: `http://127.0.0.1:${port}`, namespace: 'default', ...extra };
}

function respond(socket: net.Socket, status: number, body: string, headers = ''): void {
  socket.write(`HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${headers}\r\n${body}`);
}

describe('lease transport', () => {
  const closers: (() => unknown)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('sends one PUT with the body, auth and length, and reads a Content-Length response', async () => {
    const srv = await scripted((_req, socket) => respond(socket, 200, '{"metadata":{"resourceVersion":"7"}}'));
    closers.push(srv.close);
    const t = new LeaseTransport(config(srv.port, { token: 'tok', server: `http://127.0.0.1:${srv.port}/prefix/` }), { connections: 2, timeoutMs: 0, userAgent: 'k8ts/test' });
    closers.push(() => t.close());
    const body = '{"kind":"Lease","é":1}';
    const r = await t.put('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', body);
    assert.deepEqual(r, { status: 200, body: '{"metadata":{"resourceVersion":"7"}}' });
    const req = srv.received[0]!;
    assert.match(req.head, /^PUT \/prefix\/apis\/coordination\.k8s\.io\/v1\/namespaces\/kube-node-lease\/leases\/n1 HTTP\/1\.1\r\n/);
    assert.match(req.head, /\r\nAuthorization: Bearer tok(\r\n|$)/);
    assert.match(req.head, /\r\nUser-Agent: k8ts\/test(\r\n|$)/);
    assert.match(req.head, /\r\nContent-Type: application\/json(\r\n|$)/);
    assert.match(req.head, new RegExp(`\\r\\nContent-Length: ${Buffer.byteLength(body)}(\\r\\n|$)`));
    assert.equal(Buffer.from(req.body, 'latin1').toString('utf8'), body);
  });

  it('reads chunked bodies, interim responses and responses split across reads, and keeps the connection', async () => {
    const srv = await scripted((_req, socket, n) => {
      if (n === 1) {
        socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 409 Conflict\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\n{"a":\r\n');
        setTimeout(() => socket.write('3\r\n"b"\r\n1\r\n}\r\n0\r\nX-T: 1\r\n\r\n'), 5);
      } else {
        const text = 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{"ok":true}';
        // One byte at a time: every boundary of the head and the body falls between two reads.
        let i = 0;
        const drip = (): void => {
          if (i < text.length) socket.write(text[i++]!, drip);
        };
        drip();
      }
    });
    closers.push(srv.close);
    const t = new LeaseTransport(config(srv.port), { connections: 1, timeoutMs: 0, userAgent: 'k8ts/test' });
    closers.push(() => t.close());
    assert.deepEqual(await t.put('/a', '{}'), { status: 409, body: '{"a":"b"}' });
    assert.deepEqual(await t.put('/a', '{}'), { status: 200, body: '{"ok":true}' });
    assert.equal(srv.connections(), 1);
  });

  it('holds requests past the connection limit until one is free', async () => {
    const srv = await scripted((req, socket) => setTimeout(() => respond(socket, 200, req.body), 10));
    closers.push(srv.close);
    const t = new LeaseTransport(config(srv.port), { connections: 2, timeoutMs: 0, userAgent: 'k8ts/test' });
    closers.push(() => t.close());
    const got = await Promise.all(Array.from({ length: 7 }, (_, i) => t.put('/a', String(i))));
    assert.deepEqual(got.map((r) => r.body), ['0', '1', '2', '3', '4', '5', '6']);
    assert.equal(srv.connections(), 2);
  });

  it('does not reuse a connection the server closes', async () => {
    const srv = await scripted((_req, socket) => respond(socket, 200, '{}', 'Connection: close\r\n'));
    closers.push(srv.close);
    const t = new LeaseTransport(config(srv.port), { connections: 1, timeoutMs: 0, userAgent: 'k8ts/test' });
    closers.push(() => t.close());
    await t.put('/a', '{}');
    await t.put('/a', '{}');
    assert.equal(srv.connections(), 2);
  });

  it('sends again, once, a request a kept-alive connection dropped before answering', async () => {
    const srv = await scripted((_req, socket, n) => (n === 2 ? socket.destroy() : respond(socket, 200, String(n))));
    closers.push(srv.close);
    const t = new LeaseTransport(config(srv.port), { connections: 1, timeoutMs: 0, userAgent: 'k8ts/test' });
    closers.push(() => t.close());
    assert.equal((await t.put('/a', '{}')).body, '1');
    // The second request reaches the server, which hangs up: sent once more on a new connection.
    assert.equal((await t.put('/a', '{}')).body, '3');
    assert.equal(srv.connections(), 2);
  });

  it('fails a request a fresh connection dropped, a second drop, a timeout and a refused connection', async () => {
    const srv = await scripted((_req, socket, n) => {
      if (n === 1 || n === 3 || n === 4) socket.destroy();
      else if (n === 2) respond(socket, 200, '{}');
      // n === 5: never answered.
    });
    closers.push(srv.close);
    const t = new LeaseTransport(config(srv.port), { connections: 1, timeoutMs: 200, userAgent: 'k8ts/test' });
    closers.push(() => t.close());
    await assert.rejects(t.put('/a', '{}'), { code: 'ECONNRESET' });
    await t.put('/a', '{}');
    // Dropped on a kept-alive connection (3), sent again on a new one and dropped there too (4).
    await assert.rejects(t.put('/a', '{}'), { code: 'ECONNRESET' });
    await assert.rejects(t.put('/a', '{}'), { code: 'ETIMEDOUT' });
    assert.equal(srv.received.length, 5);
    await srv.close();
    await assert.rejects(t.put('/a', '{}'), { code: 'ECONNREFUSED' });
  });

  it('fails a response it cannot frame', async () => {
    const srv = await scripted((_req, socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}'));
    closers.push(srv.close);
    const t = new LeaseTransport(config(srv.port), { connections: 1, timeoutMs: 0, userAgent: 'k8ts/test' });
    closers.push(() => t.close());
    await assert.rejects(t.put('/a', '{}'), { code: 'EPROTO' });
  });

  it('serves one server, not several or an in-process one', () => {
    assert.equal(leaseTransportSupports(config(1)), true);
    assert.equal(leaseTransportSupports(config(1, { servers: ['http://127.0.0.1:1'] })), true);
    assert.equal(leaseTransportSupports(config(1, { servers: ['http://127.0.0.1:2'] })), false);
    assert.equal(leaseTransportSupports(config(1, { connect: () => new net.Socket() })), false);
  });
});

describe('leaseRenewalBody', () => {
  /** The body a NodeLease seeded with rv sends on its next renewal. */
  async function seededPut(uid: string | undefined, rv: string, duration: number): Promise<string> {
    let sent: unknown;
    const client = {
      update: (_info: unknown, _ns: unknown, body: unknown) => {
        sent = body;
        return Promise.resolve({ ...(body as object), metadata: { ...(body as { metadata: object }).metadata, resourceVersion: String(Number(rv) + 1) } });
      },
    } as unknown as RestClient;
    const lease = new NodeLease({ nodeName: 'node-"1"', client, log: logger('test') }, duration, () => uid);
    lease.seed(rv);
    await lease.renew();
    assert.equal(lease.resourceVersion, String(Number(rv) + 1));
    return JSON.stringify(sent);
  }

  for (const uid of ['u-1', undefined]) {
    it(`is the text a seeded NodeLease sends (owner uid ${uid ?? 'unknown'})`, async () => {
      const text = await seededPut(uid, '41', 4);
      const renewTime = (JSON.parse(text) as { spec: { renewTime: string } }).spec.renewTime;
      assert.equal(leaseRenewalBody('node-"1"', '41', uid, 4, renewTime), text);
    });
  }
});
