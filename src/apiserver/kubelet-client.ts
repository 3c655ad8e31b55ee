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

/** A raw (TLS) connection to a kubelet, for proxying upgraded requests. */
export function dialKubelet(cfg: KubeletClientConfig | undefined, host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const key = `${host}:${port}`;
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
