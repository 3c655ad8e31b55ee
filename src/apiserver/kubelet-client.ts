import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';

// How the API server reaches kubelets (upstream --kubelet-client-certificate,
// --kubelet-client-key, --kubelet-certificate-authority): HTTPS with its
// kube-apiserver-kubelet-client certificate. Upstream checks the kubelet's
// serving certificate only when a CA is given, and so does this. Without a
// client config (an insecure test API server) kubelets are spoken to over
// plain HTTP, as their test servers listen.

export interface KubeletClientConfig {
  certPem: string;
  keyPem: string;
  /** CA the kubelets' serving certificates chain to; without it they are not verified. */
  caPem?: string;
}

export function tlsOptions(cfg: KubeletClientConfig, host: string): tls.ConnectionOptions {
  return {
    cert: cfg.certPem,
    key: cfg.keyPem,
    ca: cfg.caPem,
    rejectUnauthorized: cfg.caPem !== undefined,
    servername: net.isIP(host) ? undefined : host,
    ALPNProtocols: ['http/1.1'],
  };
}

/** GET a kubelet path; the response as node's http gives it. */
export function kubeletGet(cfg: KubeletClientConfig | undefined, host: string, port: number, path: string, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
  if (!cfg) return http.get({ host, port, path, timeout: 30_000 }, onResponse);
  return https.get({ host, port, path, timeout: 30_000, agent: false, ...tlsOptions(cfg, host) }, onResponse);
}

/**
 * TLS sessions by kubelet: every exec, attach and port-forward opens a new connection (an upgraded one
 * cannot be reused), and resuming the last session skips the certificate exchange and its signatures,
 * the largest share of the API server's own part of a `kubectl exec` round trip.
 */
const sessions = new Map<string, Buffer>();
const MAX_SESSIONS = 4096;

function remember(key: string, session: Buffer): void {
  if (!sessions.has(key) && sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
  sessions.set(key, session);
}

/**
 * One connection per kubelet, its TLS handshake already done, waiting for the next exec, attach or
 * port-forward. An upgraded connection is never reused, so without it every session pays a handshake
 * (a round trip and the kubelet's certificate check) on its own path; with it that work happens while
 * nobody waits. A spare is dialed only after a session used that kubelet and is dropped after
 * SPARE_IDLE_MS, well under any server's idle timeout, so quiet kubelets cost nothing.
 */
interface Spare {
  socket: tls.TLSSocket;
  timer: NodeJS.Timeout;
  drop(): void;
}
const SPARE_IDLE_MS = 15_000;
const spares = new WeakMap<KubeletClientConfig, Map<string, Spare | 'dialing'>>();

function sparesOf(cfg: KubeletClientConfig): Map<string, Spare | 'dialing'> {
  let m = spares.get(cfg);
  if (!m) spares.set(cfg, (m = new Map()));
  return m;
}

function takeSpare(cfg: KubeletClientConfig, key: string): tls.TLSSocket | undefined {
  const m = sparesOf(cfg);
  const spare = m.get(key);
  if (!spare || spare === 'dialing') return undefined;
  m.delete(key);
  clearTimeout(spare.timer);
  spare.socket.off('close', spare.drop);
  spare.socket.off('error', spare.drop);
  spare.socket.ref();
  // A spare the kubelet closed or wrote to (it never speaks first) is unusable.
  if (spare.socket.destroyed || !spare.socket.writable || spare.socket.readableLength > 0) {
    spare.socket.destroy();
    return undefined;
  }
  return spare.socket;
}

function refillSpare(cfg: KubeletClientConfig, host: string, port: number, key: string): void {
  const m = sparesOf(cfg);
  if (m.has(key)) return;
  m.set(key, 'dialing');
  connect(cfg, host, port, key).then(
    (socket) => {
      const s = socket as tls.TLSSocket;
      if (m.get(key) !== 'dialing') return void s.destroy();
      const drop = (): void => {
        if (m.get(key) === spare) m.delete(key);
        clearTimeout(spare.timer);
        s.destroy();
      };
      const spare: Spare = { socket: s, timer: setTimeout(drop, SPARE_IDLE_MS), drop };
      spare.timer.unref();
      s.unref();
      s.once('close', drop);
      s.once('error', drop);
      m.set(key, spare);
    },
    () => {
      if (m.get(key) === 'dialing') m.delete(key);
    },
  );
}

/** Closes the spare connections dialed with this configuration (the API server is stopping). */
export function closeKubeletSpares(cfg: KubeletClientConfig | undefined): void {
  if (!cfg) return;
  const m = spares.get(cfg);
  if (!m) return;
  for (const spare of m.values()) if (spare !== 'dialing') spare.drop();
  m.clear();
}

/** A raw (TLS) connection to a kubelet, for proxying upgraded requests. */
export async function dialKubelet(cfg: KubeletClientConfig | undefined, host: string, port: number): Promise<Duplex> {
  const key = `${host}:${port}`;
  if (!cfg) return connect(cfg, host, port, key);
  const spare = takeSpare(cfg, key);
  if (spare) {
    refillSpare(cfg, host, port, key);
    return spare;
  }
  const socket = await connect(cfg, host, port, key);
  refillSpare(cfg, host, port, key);
  return socket;
}

function connect(cfg: KubeletClientConfig | undefined, host: string, port: number, key: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let s: net.Socket;
    if (cfg) {
      const t = tls.connect({ host, port, ...tlsOptions(cfg, host), session: sessions.get(key) });
      t.on('session', (session: Buffer) => remember(key, session));
      s = t;
    } else s = net.connect({ host, port });
    s.setNoDelay(true);
    const timer = setTimeout(() => s.destroy(new Error(`dial tcp ${host}:${port}: i/o timeout`)), 30_000);
    s.once(cfg ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      s.destroy();
      sessions.delete(key);
      const why = err.code === 'ECONNREFUSED' ? 'connect: connection refused' : err.code === 'EHOSTUNREACH' ? 'connect: no route to host' : err.message;
      reject(new Error(`dial tcp ${net.isIP(host) === 6 ? `[${host}]` : host}:${port}: ${why}`));
    });
  });
}
