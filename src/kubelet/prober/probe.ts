import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Writable } from 'node:stream';
import type { ContainerRuntime } from '../../runtime/interface.js';
import type { Container, Probe } from '../api-types.js';

// One probe attempt (exec, httpGet, tcpSocket) with upstream's failure
// messages, which users read in Unhealthy events.

export interface ProbeResult {
  ok: boolean;
  output: string;
}

export function resolvePort(port: number | string, container: Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const p = container.ports?.find((x) => x.name === port);
  if (!p) throw new Error(`couldn't find port: ${port} in ${JSON.stringify(container.name)}`);
  return p.containerPort;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      // Upstream keeps at most 10 KiB of probe output.
      if (size < 10240) {
        chunks.push(chunk);
        size += chunk.length;
      }
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8').slice(0, 10240) };
}

async function execProbe(runtime: ContainerRuntime, id: string, cmd: string[], timeoutMs: number): Promise<ProbeResult> {
  const out = collector();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  try {
    const code = await Promise.race([runtime.exec(id, { cmd, stdout: out.stream, stderr: out.stream }), timeout]);
    if (code === 'timeout') return { ok: false, output: `command ${JSON.stringify(cmd.join(' '))} timed out` };
    return { ok: code === 0, output: out.text() || (code === 0 ? '' : `command ${JSON.stringify(cmd.join(' '))} exited with ${code}`) };
  } catch (err) {
    return { ok: false, output: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

function dialError(err: NodeJS.ErrnoException, hostPort: string): string {
  if (err.code === 'ECONNREFUSED') return `dial tcp ${hostPort}: connect: connection refused`;
  if (err.code === 'EHOSTUNREACH') return `dial tcp ${hostPort}: connect: no route to host`;
  if (err.code === 'ETIMEDOUT' || err.message === 'timeout') return `dial tcp ${hostPort}: i/o timeout`;
  return `dial tcp ${hostPort}: ${err.message}`;
}

function httpProbe(p: NonNullable<Probe['httpGet']>, host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const scheme = (p.scheme ?? 'HTTP').toLowerCase();
  const path = p.path ? (p.path.startsWith('/') ? p.path : `/${p.path}`) : '/';
  const hostPort = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const url = `${scheme}://${hostPort}${path}`;
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*' };
  for (const h of p.httpHeaders ?? []) headers[h.name] = h.value;
  return new Promise((resolve) => {
    const mod = scheme === 'https' ? https : http;
    const req = mod.request(url, { method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      const body = collector();
      res.pipe(body.stream);
      res.on('end', () => {
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 400) resolve({ ok: true, output: '' });
        else resolve({ ok: false, output: `HTTP probe failed with statuscode: ${code}` });
      });
      res.on('error', (err) => resolve({ ok: false, output: `Get "${url}": ${err.message}` }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const msg = err.code === 'ETIMEDOUT' ? 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)' : dialError(err, hostPort);
      resolve({ ok: false, output: `Get "${url}": ${msg}` });
    });
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const hostPort = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const timer = setTimeout(() => sock.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ ok: true, output: '' });
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, output: dialError(err, hostPort) });
    });
  });
}

export interface ProbeTarget {
  runtime: ContainerRuntime;
  containerId: string;
  container: Container;
  podIP?: string;
  /** Network probes are not attempted (fake runtimes: the pod IPs are not real). */
  assumeNetworkSuccess: boolean;
}

export async function runProbe(probe: Probe, t: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.exec) return await execProbe(t.runtime, t.containerId, probe.exec.command ?? [], timeoutMs);
    if (t.assumeNetworkSuccess) return { ok: true, output: '' };
    if (probe.httpGet) return await httpProbe(probe.httpGet, probe.httpGet.host || t.podIP || '127.0.0.1', resolvePort(probe.httpGet.port, t.container), timeoutMs);
    if (probe.tcpSocket) return await tcpProbe(probe.tcpSocket.host || t.podIP || '127.0.0.1', resolvePort(probe.tcpSocket.port, t.container), timeoutMs);
    if (probe.grpc) return await tcpProbe(t.podIP || '127.0.0.1', probe.grpc.port, timeoutMs);
    return { ok: false, output: 'missing probe handler' };
  } catch (err) {
    return { ok: false, output: (err as Error).message };
  }
}
