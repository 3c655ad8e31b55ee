import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { SpdySession } from './spdy.js';
import { rejectUpgrade } from './reject.js';

export { rejectUpgrade };

// The two ways a streaming request upgrades its connection: a WebSocket
// (kubectl ≥ 1.30's default) with a subprotocol, or the legacy
// `Upgrade: SPDY/3.1` with X-Stream-Protocol-Version negotiation
// (upstream's httpstream.Handshake: the first of the client's versions the
// server supports wins).

export const HEADER_PROTOCOL_VERSION = 'x-stream-protocol-version';

export type UpgradeKind = 'websocket' | 'spdy' | 'none';

export function upgradeKind(req: IncomingMessage): UpgradeKind {
  const up = (req.headers.upgrade ?? '').toLowerCase();
  if (up === 'websocket') return 'websocket';
  if (up.startsWith('spdy/3.1')) return 'spdy';
  return 'none';
}

function offeredWsProtocols(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/** Completes a WebSocket handshake with the first subprotocol (in the client's order) found in `supported`. */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, supported: readonly string[]): Promise<{ ws: WebSocket; protocol: string } | undefined> {
  const offered = offeredWsProtocols(req);
  const protocol = offered.find((p) => supported.includes(p));
  if (!protocol) {
    rejectUpgrade(socket, 400, `unable to upgrade: no supported WebSocket subprotocol: client offers [${offered.join(' ')}], server supports [${supported.join(' ')}]`);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    // ws rejects subprotocols that are not RFC 7230 tokens, and upstream's
    // "SPDY/3.1+portforward.k8s.io" has a '/': negotiate here, answer the header ourselves.
    delete req.headers['sec-websocket-protocol'];
    const server = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
    server.once('headers', (headers) => headers.push(`Sec-WebSocket-Protocol: ${protocol}`));
    server.handleUpgrade(req, socket, head, (client) => {
      server.close();
      resolve({ ws: client, protocol });
    });
  });
}

/** Answers `Upgrade: SPDY/3.1` with 101 and the negotiated X-Stream-Protocol-Version; undefined after an error reply. */
export function acceptSpdy(req: IncomingMessage, socket: Duplex, head: Buffer, supported: readonly string[]): { session: SpdySession; protocol: string } | undefined {
  const offered = (req.headersDistinct[HEADER_PROTOCOL_VERSION] ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  const protocol = offered.find((p) => supported.includes(p));
  if (!protocol) {
    rejectUpgrade(socket, 403, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${supported.join(' ')}]`);
    return undefined;
  }
  (socket as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
  if (head.length) socket.unshift(head);
  return { session: new SpdySession(socket), protocol };
}
