import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createWebSocketStream } from 'ws';
import type { Logger } from '../../util/log.js';
import type { SpdySession, SpdyStream } from './spdy.js';
import { SpdySession as Session } from './spdy.js';
import { acceptSpdy, acceptWebSocket, rejectUpgrade, upgradeKind } from './upgrade.js';

// Upstream's port-forward protocol (portforward.k8s.io): for every local
// connection the client opens two SPDY streams with the same requestID
// header, streamType=error and streamType=data, and a port header; the
// kubelet dials the port inside the pod and copies bytes between the data
// stream and that connection, writing any failure as text on the error
// stream. kubectl ≥ 1.31 sends that same SPDY session inside a WebSocket
// (subprotocol SPDY/3.1+portforward.k8s.io), one binary message per write.

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const WS_TUNNEL_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

export interface PortForwardTarget {
  /** "namespace/name" for messages, as upstream's kubelet names the pod. */
  podName: string;
  uid: string;
  dial(port: number): Promise<Duplex>;
}

export async function acceptPortForward(req: IncomingMessage, socket: Duplex, head: Buffer, target: PortForwardTarget, log: Logger): Promise<void> {
  const kind = upgradeKind(req);
  let session: SpdySession | undefined;
  if (kind === 'websocket') {
    const up = await acceptWebSocket(req, socket, head, [WS_TUNNEL_PROTOCOL]);
    if (!up) return;
    const tunnel = createWebSocketStream(up.ws);
    tunnel.on('error', () => undefined);
    session = new Session(tunnel);
  } else if (kind === 'spdy') {
    session = acceptSpdy(req, socket, head, [PORT_FORWARD_PROTOCOL])?.session;
    if (!session) return;
  } else {
    rejectUpgrade(socket, 400, 'Upgrade request required');
    return;
  }
  serveSession(session, target, log);
}

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
  port?: number;
}

function serveSession(session: SpdySession, target: PortForwardTarget, log: Logger): void {
  const pairs = new Map<string, Pair>();
  session.on('stream', (s) => {
    s.on('error', () => undefined);
    const type = s.headers['streamtype'];
    const requestId = s.headers['requestid'] ?? String(type === 'data' ? s.id - 2 : s.id);
    const portText = s.headers['port'] ?? '';
    const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
    if ((type !== 'error' && type !== 'data') || !(port > 0 && port < 65536)) {
      s.reset();
      log.warn({ type, port: portText }, 'port-forward stream with a bad streamType or port');
      return;
    }
    s.reply();
    const pair = pairs.get(requestId) ?? {};
    pair[type] = s;
    pair.port = port;
    pairs.set(requestId, pair);
    if (pair.error && pair.data) {
      pairs.delete(requestId);
      void forward(pair.error, pair.data, port, target, log);
    }
  });
}

async function forward(errorStream: SpdyStream, data: SpdyStream, port: number, target: PortForwardTarget, log: Logger): Promise<void> {
  const fail = (err: Error): void => {
    const msg = `error forwarding port ${port} to pod ${target.podName}, uid ${target.uid}: ${err.message}`;
    log.info({ pod: target.podName, port, err: err.message }, 'port-forward failed');
    if (!errorStream.destroyed) errorStream.end(msg);
    if (!data.destroyed) data.end();
  };
  let conn: Duplex;
  try {
    conn = await target.dial(port);
  } catch (err) {
    fail(err as Error);
    return;
  }
  let failed = false;
  conn.on('error', (err) => {
    if (failed) return;
    failed = true;
    fail(err);
  });
  // Each side's end half-closes the other, as upstream's io.Copy pair does.
  data.pipe(conn);
  conn.pipe(data);
  data.once('close', () => conn.destroy());
  conn.once('close', () => {
    if (!errorStream.destroyed && !failed) errorStream.end();
  });
}
