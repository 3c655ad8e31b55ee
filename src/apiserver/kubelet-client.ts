import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { answersHealth, keepSpare, takeSpare, wantSpare } from './kubelet-spare.js';

export { closeKubeletSpares } from './kubelet-spare.js';

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

/**
 * One secure context per configuration: building one parses the key and the certificates again (about
 * as much CPU as the handshake itself), and without it every exec, attach and port-forward would.
 */
const contexts = new WeakMap<KubeletClientConfig, { from: [string, string, string | undefined]; context: tls.SecureContext }>();

function contextOf(cfg: KubeletClientConfig): tls.SecureContext {
  const c = contexts.get(cfg);
  // A configuration whose PEMs were replaced gets a new context.
  if (c && c.from[0] === cfg.certPem && c.from[1] === cfg.keyPem && c.from[2] === cfg.caPem) return c.context;
  const context = tls.createSecureContext({ cert: cfg.certPem, key: cfg.keyPem, ca: cfg.caPem });
  contexts.set(cfg, { from: [cfg.certPem, cfg.keyPem, cfg.caPem], context });
  return context;
}

export function tlsOptions(cfg: KubeletClientConfig, host: string): tls.ConnectionOptions {
  return {
    secureContext: contextOf(cfg),
    // Also named, for https agents: they tell connections apart by these.
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

/** How long a dial may take, as upstream's kubelet client dialer; a spare's health answer has as long. */
const DIAL_TIMEOUT_MS = 30_000;
/**
 * How long a spare has to answer its health check alone. A live kubelet answers well within it; past it
 * a fresh connection is dialed beside the spare (its handshake would otherwise slow the check itself).
 */
const SPARE_GRACE_MS = 25;

/**
 * A raw (TLS) connection to a kubelet, for proxying upgraded requests: the kubelet's spare once it has
 * answered its health check, else a fresh connection. The caller asks for the next spare with
 * refillKubeletSpare once the kubelet has answered, so that handshake stays off this session's path.
 */
export async function dialKubelet(cfg: KubeletClientConfig | undefined, host: string, port: number): Promise<Duplex> {
  const key = `${host}:${port}`;
  if (!cfg) return connect(cfg, host, port, key);
  const spare = takeSpare(cfg, key);
  return spare ? provenOrFresh(cfg, host, port, key, spare) : connect(cfg, host, port, key);
}

/** Dials the kubelet's next spare, unless one is kept or on its way (no-op without TLS: no spares). */
export function refillKubeletSpare(cfg: KubeletClientConfig | undefined, host: string, port: number): void {
  const key = `${host}:${port}`;
  if (!cfg || !wantSpare(cfg, key)) return;
  connect(cfg, host, port, key).then(
    (socket) => keepSpare(cfg, key, socket as tls.TLSSocket),
    () => keepSpare(cfg, key, undefined),
  );
}

async function provenOrFresh(cfg: KubeletClientConfig, host: string, port: number, key: string, spare: tls.TLSSocket): Promise<net.Socket> {
  const alive = answersHealth(spare, hostHeader(host, port), DIAL_TIMEOUT_MS);
  const quick = await within(alive, SPARE_GRACE_MS);
  if (quick === true) return spare;
  if (quick === false) {
    spare.destroy();
    return connect(cfg, host, port, key);
  }
  // No answer yet: whichever of the spare and a fresh connection is ready first carries the session
  // (nothing but the probe went out on the spare, so nothing can run twice).
  const fresh = connect(cfg, host, port, key).then(
    (socket) => ({ socket: socket as tls.TLSSocket }),
    (err: Error) => ({ err }),
  );
  const first = await Promise.race([alive.then((ok) => (ok ? 'spare' : 'spare dead')), fresh.then((f) => ('err' in f ? 'dial failed' : 'fresh'))]);
  if (first === 'spare') {
    // The fresh connection becomes the next spare, unless a concurrent session already dials one.
    const asked = wantSpare(cfg, key);
    void fresh.then((f) => {
      if (asked) keepSpare(cfg, key, 'err' in f ? undefined : f.socket);
      else if ('socket' in f) f.socket.destroy();
    });
    return spare;
  }
  if (first === 'dial failed' && (await alive)) return spare;
  spare.destroy();
  const f = await fresh;
  if ('err' in f) throw f.err;
  return f.socket;
}

/** The promise's value if it settles within `ms`, else 'late'. */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function hostHeader(host: string, port: number): string {
  return `${net.isIP(host) === 6 ? `[${host}]` : host}:${port}`;
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
    const timer = setTimeout(() => s.destroy(new Error(`dial tcp ${host}:${port}: i/o timeout`)), DIAL_TIMEOUT_MS);
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
