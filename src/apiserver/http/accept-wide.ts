import net from 'node:net';
import { spawn } from 'node:child_process';
import { logger } from '../../util/log.js';

// A busy server accepted new connections at a trickle. Since libuv 1.45
// (Node 20) a listening socket yields one connection per event-loop turn
// (libuv #3696: no accept() loop), and a loaded API server's turn is
// 100-300 ms: the listen queue held up to 150 connections and drained at
// 4-6 a second, so a controller's burst of requests waited up to 21 s for
// its TLS connections. The same socket watched through several descriptors
// yields one connection per descriptor per turn. Node has no dup(), but a
// handle passed over an IPC channel arrives as a new descriptor: a child
// that only echoes the listening handle back (it never listens itself, so
// it can take no connection) gives this process as many as it asks for.

const log = logger('apiserver');

/** Descriptors watching the listening socket, the server's own included. */
export const ACCEPT_DESCRIPTORS = 8;
/** A child that has not echoed the handles back by then is given up on: the server keeps its one descriptor. */
const ECHO_TIMEOUT_MS = 10_000;

const ECHO_CHILD = `process.on('message', (m, h) => {
  if (!h) process.exit(1);
  const next = (i) => {
    if (i === m.copies) { h.close(); process.disconnect(); return; }
    process.send({ i }, h, (err) => (err ? process.exit(1) : next(i + 1)));
  };
  next(0);
});`;

export interface WideAccept {
  /** Resolves once the extra descriptors are watched (or given up on); the number watched. */
  ready: Promise<number>;
  /** Stops watching the extra descriptors; the server's own is closed with the server. */
  close(): void;
}

interface HandleOwner {
  _handle?: object | null;
}

/**
 * Watches `server`'s listening socket through `descriptors - 1` more
 * descriptors, each handing its connections to `server` as its own would.
 * Best effort: without them the server works as before.
 */
export function widenAccept(server: net.Server, descriptors = ACCEPT_DESCRIPTORS): WideAccept {
  const extra: net.Server[] = [];
  let closed = false;
  const handle = (server as unknown as HandleOwner)._handle;
  if (descriptors <= 1 || !handle) return { ready: Promise.resolve(0), close: () => undefined };
  const child = spawn(process.execPath, ['-e', ECHO_CHILD], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  const ready = new Promise<number>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      if (child.connected) child.disconnect();
      resolve(extra.length);
    };
    const timer = setTimeout(() => {
      log.debug({ watched: extra.length }, 'listen socket copies did not all arrive');
      child.kill();
      done();
    }, ECHO_TIMEOUT_MS);
    timer.unref();
    child.on('error', (err) => {
      log.debug({ err: err.message }, 'could not copy the listen socket');
      done();
    });
    child.on('exit', done);
    child.on('message', (_m, copy: unknown) => {
      if (!copy) return;
      const h = copy as { close(): void };
      if (closed) {
        h.close();
        return;
      }
      // The copy hands each connection to the real server, which then treats it as one it accepted itself.
      const s = net.createServer({ keepAlive: true, noDelay: true }, (socket) => server.emit('connection', socket));
      s.on('error', (err) => log.warn({ err: err.message }, 'listen socket copy failed'));
      s.listen(h as net.ListenOptions);
      extra.push(s);
      if (extra.length === descriptors - 1) done();
    });
    child.send({ copies: descriptors - 1 }, handle as net.Socket, (err) => {
      if (err) {
        log.debug({ err: err.message }, 'could not copy the listen socket');
        child.kill();
        done();
      }
    });
  });
  child.unref();
  return {
    ready,
    close: () => {
      closed = true;
      for (const s of extra.splice(0)) s.close();
      if (child.exitCode === null) child.kill();
    },
  };
}
