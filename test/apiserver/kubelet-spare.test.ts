import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { closeKubeletSpares, dialKubelet, type KubeletClientConfig } from '../../src/apiserver/kubelet-client.js';

// The API server keeps one spare, already-handshaken connection per kubelet
// for the next exec/attach/port-forward, and closes it with itself.

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

test('a spare connection serves the next dial and is closed with the API server', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-kubelet-spare-'));
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=kubelet', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
  const certPem = await readFile(join(dir, 'cert.pem'), 'utf8');
  const keyPem = await readFile(join(dir, 'key.pem'), 'utf8');
  const server = tls.createServer({ cert: certPem, key: keyPem });
  const open = new Set<tls.TLSSocket>();
  let handshakes = 0;
  const events = new EventEmitter();
  server.on('secureConnection', (s: tls.TLSSocket) => {
    handshakes++;
    open.add(s);
    s.on('error', () => undefined);
    s.once('close', () => {
      open.delete(s);
      events.emit('change');
    });
    events.emit('change');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const cfg: KubeletClientConfig = { certPem, keyPem };
  try {
    const first = await dialKubelet(cfg, '127.0.0.1', port);
    // The first dial handshakes on the request's path, then a spare follows it.
    await waitFor('spare dialed', () => handshakes === 2, events, 'change');
    const second = await dialKubelet(cfg, '127.0.0.1', port);
    // Handed over at once: no handshake happened for it.
    assert.equal(handshakes, 2);
    assert.ok(!second.destroyed && second.writable);
    await waitFor('spare refilled', () => handshakes === 3 && open.size === 3, events, 'change');
    first.destroy();
    second.destroy();
    await waitFor('sessions closed', () => open.size === 1, events, 'change');
    closeKubeletSpares(cfg);
    await waitFor('spare closed with the API server', () => open.size === 0, events, 'change');
  } finally {
    closeKubeletSpares(cfg);
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  }
});
