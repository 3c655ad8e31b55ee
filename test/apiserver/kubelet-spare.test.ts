import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { closeKubeletSpares, dialKubelet, refillKubeletSpare, type KubeletClientConfig } from '../../src/apiserver/kubelet-client.js';

// The API server keeps one spare, already-handshaken connection per kubelet
// for the next exec/attach/port-forward, never sends a session on one that
// has stopped answering, and closes it with itself.

const run = promisify(execFile);
const WAIT_MS = 60_000;

function waitFor(what: string, cond: () => boolean, emitter: NodeJS.EventEmitter, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!cond()) return;
      clearTimeout(timer);
      emitter.off(event, check);
      resolve();
    };
    const timer = setTimeout(() => {
      emitter.off(event, check);
      reject(new Error(`${what}: not within ${WAIT_MS / 1000} s`));
    }, WAIT_MS);
    emitter.on(event, check);
    check();
  });
}

/** A kubelet stand-in: answers /healthz as kubelets do, and /which with the number of the connection asked on. */
async function fakeKubelet(dir: string): Promise<{ server: https.Server; port: number; cfg: KubeletClientConfig; open: Set<tls.TLSSocket>; events: EventEmitter; handshakes(): number }> {
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=kubelet', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
  const certPem = await readFile(join(dir, 'cert.pem'), 'utf8');
  const keyPem = await readFile(join(dir, 'key.pem'), 'utf8');
  const numbers = new WeakMap<object, number>();
  const server = https.createServer({ cert: certPem, key: keyPem }, (req, res) => {
    // As the kubelet answers it: chunked.
    if (req.url === '/healthz') return void res.writeHead(200).end('ok');
    res.end(String(numbers.get(req.socket)));
  });
  const open = new Set<tls.TLSSocket>();
  let handshakes = 0;
  const events = new EventEmitter();
  server.on('secureConnection', (s: tls.TLSSocket) => {
    numbers.set(s, ++handshakes);
    open.add(s);
    s.on('error', () => undefined);
    s.once('close', () => {
      open.delete(s);
      events.emit('change');
    });
    events.emit('change');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port, cfg: { certPem, keyPem }, open, events, handshakes: () => handshakes };
}

/** The number of the kubelet connection a dialed socket is, asked on that socket. */
function which(socket: Duplex): Promise<number> {
  return new Promise((resolve, reject) => {
    let got = '';
    const timer = setTimeout(() => reject(new Error(`no answer on the dialed connection within ${WAIT_MS / 1000} s`)), WAIT_MS);
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      const m = /\r\n\r\n(\d+)$/.exec(got);
      if (!m) return;
      clearTimeout(timer);
      resolve(Number(m[1]));
    });
    // A spare is handed over paused (nothing of the session's answer may be read before its reader is there).
    socket.resume();
    socket.write('GET /which HTTP/1.1\r\nHost: kubelet\r\n\r\n');
  });
}

test('a spare connection serves the next dial and is closed with the API server', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-kubelet-spare-'));
  const k = await fakeKubelet(dir);
  const { cfg, open, events } = k;
  try {
    const first = await dialKubelet(cfg, '127.0.0.1', k.port);
    // The first dial handshakes on the request's path; the spare follows once the kubelet answered (the API server's call).
    refillKubeletSpare(cfg, '127.0.0.1', k.port);
    await waitFor('spare dialed', () => k.handshakes() === 2, events, 'change');
    const second = await dialKubelet(cfg, '127.0.0.1', k.port);
    // The spare answered its health check, so the session got it.
    assert.equal(await which(second), 2);
    refillKubeletSpare(cfg, '127.0.0.1', k.port);
    await waitFor('spare refilled', () => k.handshakes() === 3 && open.size === 3, events, 'change');
    first.destroy();
    second.destroy();
    await waitFor('sessions closed', () => open.size === 1, events, 'change');
    closeKubeletSpares(cfg);
    await waitFor('spare closed with the API server', () => open.size === 0, events, 'change');
  } finally {
    closeKubeletSpares(cfg);
    k.server.closeAllConnections();
    await new Promise<void>((r) => k.server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  }
});

test('a spare whose peer stopped answering without closing is passed over for a fresh connection', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-kubelet-spare-'));
  const k = await fakeKubelet(dir);
  // A TCP relay in front of the kubelet; freezing one of its flows is a peer gone silent: bytes sent
  // on it are taken and never answered, and nothing closes it.
  const flows: { client: net.Socket; upstream: net.Socket }[] = [];
  const relay = net.createServer((client) => {
    const upstream = net.connect(k.port, '127.0.0.1');
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.pipe(upstream);
    upstream.pipe(client);
    flows.push({ client, upstream });
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
  const port = (relay.address() as AddressInfo).port;
  const cfg = k.cfg;
  try {
    const first = await dialKubelet(cfg, '127.0.0.1', port);
    refillKubeletSpare(cfg, '127.0.0.1', port);
    await waitFor('spare dialed', () => k.handshakes() === 2, k.events, 'change');
    const spare = flows[1]!;
    spare.client.unpipe(spare.upstream);
    spare.upstream.unpipe(spare.client);
    spare.client.pause();
    spare.upstream.pause();
    const second = await dialKubelet(cfg, '127.0.0.1', port);
    // Not the silent spare (number 2): the connection dialed beside it.
    assert.equal(await which(second), 3);
    assert.equal(await which(first), 1);
    first.destroy();
    second.destroy();
  } finally {
    closeKubeletSpares(cfg);
    for (const f of flows) {
      f.client.destroy();
      f.upstream.destroy();
    }
    await new Promise<void>((r) => relay.close(() => r()));
    k.server.closeAllConnections();
    await new Promise<void>((r) => k.server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  }
});
