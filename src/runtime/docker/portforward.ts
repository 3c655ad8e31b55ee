// Port-forward on Docker: the sandbox's IP is on a bridge the host routes
// to, so the kubelet dials it directly (the pod's containers share that
// network namespace). When the address is not routable from the host (a
// network the host has no route to), it enters the sandbox's network
// namespace with nsenter and relays through busybox nc on 127.0.0.1, as
// dockershim relayed through socat.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { RuntimeError } from '../interface.js';

const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);
const CONNECT_TIMEOUT_MS = 10_000;

/** Go's wording of a dial error, which is what kubectl users know ("connect: connection refused"). */
function dialError(host: string, port: number, err: NodeJS.ErrnoException): Error {
  const why: Record<string, string> = { ECONNREFUSED: 'connection refused', EHOSTUNREACH: 'no route to host', ENETUNREACH: 'network is unreachable', ETIMEDOUT: 'connection timed out' };
  return new Error(`dial tcp4 ${host}:${port}: connect: ${why[err.code ?? ''] ?? err.message}`);
}

export function dialTcp(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, noDelay: true });
    const timer = setTimeout(() => s.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), CONNECT_TIMEOUT_MS);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      s.destroy();
      reject(Object.assign(dialError(host, port, err), { code: err.code }));
    });
  });
}

/** A relay through the namespace: stdin/stdout of `nsenter -t PID -n busybox nc 127.0.0.1 PORT`. */
function dialInNetns(pid: number, port: number): Promise<Duplex> {
  const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) return Promise.reject(new RuntimeError('Unavailable', 'the pod network is not routable from the host and busybox (for nc) is not installed'));
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', ['-t', String(pid), '-n', busybox, 'nc', '127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    const relay = Duplex.from({ writable: child.stdin, readable: child.stdout });
    relay.once('close', () => child.kill());
    // nc reports a refused connection by exiting at once; give it that moment before handing the relay out.
    const early = setTimeout(() => resolve(relay), 100);
    child.once('exit', (code) => {
      clearTimeout(early);
      if (code !== 0) reject(new Error(`failed to connect to localhost:${port} inside the pod's network namespace: ${stderr.trim() || `exit status ${code}`}`));
    });
  });
}

export async function portForward(target: { ip?: string; hostNetwork: boolean; pid?: number }, port: number): Promise<Duplex> {
  const host = target.hostNetwork ? '127.0.0.1' : target.ip;
  if (!host) throw new RuntimeError('NotFound', 'the pod sandbox has no IP address');
  try {
    return await dialTcp(host, port);
  } catch (err) {
    if (!UNREACHABLE.has((err as NodeJS.ErrnoException).code ?? '') || !target.pid) throw err;
    return dialInNetns(target.pid, port);
  }
}
