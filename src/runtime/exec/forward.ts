// Port-forward connections into a pod. The pod IP is reachable from the
// host by its /32 route, so a plain TCP connection does for
// listeners on the pod's address or on all of them; a listener bound to
// 127.0.0.1 inside the pod is reached through the pod's relay (relay.ts),
// a Node process in the pod's network namespace behind a unix socket.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { procRef, type ProcRef } from './proc.js';

export const relaySocket = (sandboxDir: string): string => join(sandboxDir, 'portforward.sock');
const RELAY = fileURLToPath(new URL('./relay.js', import.meta.url));

const GO_WORDING: Record<string, string> = { ECONNREFUSED: 'connection refused', EHOSTUNREACH: 'no route to host', ENETUNREACH: 'network is unreachable', ETIMEDOUT: 'connection timed out' };

/** Go's wording of a dial error ("dial tcp4 …: connect: connection refused"), which kubectl users know; the code stays. */
export function dialError(host: string, port: number, err: NodeJS.ErrnoException): NodeJS.ErrnoException {
  const why = GO_WORDING[err.code ?? ''];
  if (!why) return err;
  return Object.assign(new Error(`dial tcp4 ${host}:${port}: connect: ${why}`), { code: err.code });
}

/** Resolves once connected; rejects with the system's error (code ECONNREFUSED...) in Go's wording. */
export function tcpConnect(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, allowHalfOpen: true });
    const fail = (err: NodeJS.ErrnoException): void => reject(dialError(host, port, err));
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.removeListener('error', fail);
      resolve(socket);
    });
  });
}

/** Starts the relay inside the network namespace of `nsPid`; resolves when it listens. */
export function startRelay(nsPid: number, socketPath: string): Promise<ProcRef> {
  if (!existsSync(RELAY)) return Promise.reject(new Error(`port-forward relay ${RELAY} is missing`));
  return new Promise((resolve, reject) => {
    // nsenter without a PID namespace execs in place: the pid is the relay's own.
    const child = spawn('nsenter', ['-t', String(nsPid), '-n', '--', process.execPath, RELAY, socketPath], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`port-forward relay exited ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('ready')) return;
      child.removeAllListeners('exit');
      child.stdout!.destroy();
      child.unref();
      const ref = child.pid ? procRef(child.pid) : undefined;
      if (ref) resolve(ref);
      else reject(new Error('port-forward relay vanished'));
    });
  });
}

/** Asks the relay for a connection to 127.0.0.1:port inside the pod. */
export function relayDial(socketPath: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path: socketPath, allowHalfOpen: true });
    socket.once('error', reject);
    socket.once('connect', () => {
      const head = Buffer.alloc(2);
      head.writeUInt16BE(port);
      socket.write(head);
    });
    let answer = Buffer.alloc(0);
    // The answer is read in paused mode: the caller gets a socket that flows once it pipes or listens.
    const onReadable = (): void => {
      for (let chunk = socket.read() as Buffer | null; chunk; chunk = socket.read() as Buffer | null) answer = Buffer.concat([answer, chunk]);
      if (answer[0] !== 0) return;
      socket.removeListener('readable', onReadable);
      socket.removeListener('error', reject);
      socket.removeListener('end', onEnd);
      if (answer.length > 1) socket.unshift(answer.subarray(1));
      resolve(socket);
    };
    const onEnd = (): void => {
      const code = answer.subarray(1).toString().trim() || 'EIO';
      socket.destroy();
      reject(Object.assign(new Error(`connect ${code} 127.0.0.1:${port} inside the pod`), { code }));
    };
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
  });
}
