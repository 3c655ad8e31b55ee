import type { Duplex } from 'node:stream';

// Apart from upgrade.ts so that the kubelet's HTTP server can refuse an upgrade
// without loading the WebSocket and SPDY code, which it loads on the first
// exec, attach or port-forward (an idle kubelet holds none of it).

/** Writes a plain HTTP error on a socket that was not upgraded, then closes it. */
export function rejectUpgrade(socket: Duplex, status: number, message: string, contentType = 'text/plain; charset=utf-8'): void {
  const body = Buffer.from(message);
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable' }[status] ?? 'Error';
  if (!socket.writable) return void socket.destroy();
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.toString('latin1')}`, 'latin1');
}
