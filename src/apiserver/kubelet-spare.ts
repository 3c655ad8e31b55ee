import type tls from 'node:tls';
import type { KubeletClientConfig } from './kubelet-client.js';

/**
 * One connection per kubelet, its TLS handshake already done, waiting for the next exec, attach or
 * port-forward. An upgraded connection is never reused, so without it every session pays a handshake
 * (a round trip and the kubelet's certificate check) on its own path; with it that work happens while
 * nobody waits. A spare is dialed only after a session used that kubelet and is dropped after
 * SPARE_IDLE_MS, well under any server's idle timeout, so quiet kubelets cost nothing.
 *
 * A spare can outlive its peer unnoticed: a node that vanished (or a middlebox that forgot the flow)
 * sends no FIN, and bytes written then wait on TCP's retransmissions for many minutes. So a spare is
 * never sent a session on trust: it first answers a GET /healthz (kubelets answer it on a kept-alive
 * connection), while a fresh connection is dialed beside it, and whichever is ready first carries the
 * session; nothing but the probe was sent on the other, so nothing runs twice.
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

/** The kubelet's spare for this session, or undefined (none, one still dialing, or one the kubelet closed). */
export function takeSpare(cfg: KubeletClientConfig, key: string): tls.TLSSocket | undefined {
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

/** Whether a spare is wanted for this kubelet (none kept and none on its way); if so it is now on its way. */
export function wantSpare(cfg: KubeletClientConfig, key: string): boolean {
  const m = sparesOf(cfg);
  if (m.has(key)) return false;
  m.set(key, 'dialing');
  return true;
}

/** Keeps a connection that wantSpare asked for (or forgets the ask when the dial failed). */
export function keepSpare(cfg: KubeletClientConfig, key: string, socket: tls.TLSSocket | undefined): void {
  const m = sparesOf(cfg);
  if (!socket) {
    if (m.get(key) === 'dialing') m.delete(key);
    return;
  }
  if (m.get(key) !== 'dialing') return void socket.destroy();
  const drop = (): void => {
    if (m.get(key) === spare) m.delete(key);
    clearTimeout(spare.timer);
    socket.destroy();
  };
  const spare: Spare = { socket, timer: setTimeout(drop, SPARE_IDLE_MS), drop };
  spare.timer.unref();
  socket.unref();
  socket.once('close', drop);
  socket.once('error', drop);
  m.set(key, spare);
}

/** Closes the spare connections dialed with this configuration (the API server is stopping). */
export function closeKubeletSpares(cfg: KubeletClientConfig | undefined): void {
  if (!cfg) return;
  const m = spares.get(cfg);
  if (!m) return;
  for (const spare of m.values()) if (spare !== 'dialing') spare.drop();
  m.clear();
}

const MAX_HEALTH_ANSWER = 4096;

/** Where a chunked body that starts at `from` ends (no trailers), undefined while incomplete, -1 if malformed. */
function chunkedEnd(b: Buffer, from: number): number | undefined {
  let at = from;
  for (;;) {
    const eol = b.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = parseInt(b.subarray(at, eol).toString('latin1'), 16);
    if (Number.isNaN(size)) return -1;
    if (size === 0) return eol + 4 <= b.length ? eol + 4 : undefined;
    at = eol + 2 + size + 2;
    if (at > b.length) return undefined;
  }
}

/**
 * Sends GET /healthz on a spare and resolves true once a whole 200 answer came back on a connection
 * that stays open; false on anything else, on close, or after `boundMs`. The socket is left paused, with
 * nothing unread, ready for the session's request.
 */
export function answersHealth(socket: tls.TLSSocket, hostHeader: string, boundMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let got: Buffer = Buffer.alloc(0);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onGone);
      socket.off('error', onGone);
      socket.pause();
      resolve(ok);
    };
    const onGone = (): void => done(false);
    const onData = (chunk: Buffer): void => {
      got = got.length ? Buffer.concat([got, chunk]) : chunk;
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) {
        if (got.length > MAX_HEALTH_ANSWER) done(false);
        return;
      }
      const head = got.subarray(0, end).toString('latin1');
      if (!/^HTTP\/1\.1 200 /.test(head) || /\r\nconnection:[ \t]*close/i.test(head)) return done(false);
      const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
      const whole = length ? end + 4 + Number(length[1]) : /\r\ntransfer-encoding:[ \t]*chunked/i.test(head) ? chunkedEnd(got, end + 4) : -1;
      if (whole === -1) return done(false);
      if (whole !== undefined && got.length >= whole) done(got.length === whole);
    };
    const timer = setTimeout(onGone, boundMs);
    socket.on('data', onData);
    socket.once('close', onGone);
    socket.once('error', onGone);
    socket.write(`GET /healthz HTTP/1.1\r\nHost: ${hostHeader}\r\n\r\n`);
  });
}
