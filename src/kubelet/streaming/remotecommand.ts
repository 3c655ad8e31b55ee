import type { IncomingMessage } from 'node:http';
import { PassThrough, Writable, type Duplex, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { WebSocket } from 'ws';
import type { Logger } from '../../util/log.js';
import { AsyncQueue, JsonObjectSplitter } from './queue.js';
import type { SpdySession, SpdyStream } from './spdy.js';
import { acceptSpdy, acceptWebSocket, rejectUpgrade, upgradeKind } from './upgrade.js';

// Upstream's remote command protocol (k8s.io/apimachinery httpstream +
// kubelet cri/streaming/remotecommand) for exec and attach: stdin, stdout,
// stderr, an error stream that carries the final metav1.Status, and a resize
// stream of {"Width","Height"} objects. Over WebSockets each message starts
// with its channel number (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize;
// v5 adds 255 = "the client closed this channel"); over SPDY each is its own
// stream, named by its streamType header.

export const WS_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io'] as const;
export const SPDY_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'] as const;
const STREAM_CLOSE = 255;
/** Upstream's stream creation timeout: the client has this long to open the streams it asked for. */
const STREAM_CREATION_TIMEOUT_MS = 30_000;

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  command: string[];
}

const truthy = (v: string | null): boolean => v === 'true' || v === '1';

/** Parses ?command=…&stdin=…&tty=… as upstream's NewOptions does; a string is the error message. */
export function parseStreamOptions(q: URLSearchParams, requireCommand: boolean): StreamOptions | string {
  const o: StreamOptions = { stdin: truthy(q.get('stdin')), stdout: truthy(q.get('stdout')), stderr: truthy(q.get('stderr')), tty: truthy(q.get('tty')), command: q.getAll('command') };
  if (!o.stdin && !o.stdout && !o.stderr) return 'you must specify at least 1 of stdin, stdout, stderr';
  if (requireCommand && o.command.length === 0) return 'you must specify a command';
  // With a tty, stderr is merged into stdout by the terminal.
  if (o.tty) o.stderr = false;
  return o;
}

export interface RemoteStatus {
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes: { reason?: string; message: string }[] };
}

export interface RemoteStreams {
  protocol: string;
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  resize?: AsyncQueue<{ width: number; height: number }>;
  /** Flushes output, sends the status on the error stream and closes the connection. */
  finish(status: RemoteStatus): Promise<void>;
  /** Resolves when the connection is gone (client hung up or finish() closed it). */
  gone: Promise<void>;
}

function statusBody(protocol: string, st: RemoteStatus): Buffer | undefined {
  // v4 and v5 carry a JSON Status; older versions only the failure's text.
  if (protocol.startsWith('v4.') || protocol.startsWith('v5.')) return Buffer.from(JSON.stringify({ metadata: {}, ...st }));
  return st.status === 'Success' ? undefined : Buffer.from(st.message ?? 'error');
}

function toSize(o: unknown): { width: number; height: number } | undefined {
  const v = o as { Width?: unknown; Height?: unknown };
  if (typeof v?.Width !== 'number' || typeof v?.Height !== 'number') return undefined;
  return { width: v.Width, height: v.Height };
}

/** At most this long, stdin waits for the runtime to apply a terminal size that came before it. */
const RESIZE_ORDER_WAIT_MS = 2_000;

/**
 * Stdin that keeps its order with the resizes before it. The client sends a window change and then the keys
 * typed after it, in that order on one connection, but the runtime applies a size by another call (Docker: an
 * HTTP request) while keys are a write on an open stream, so a `stty size` typed just after a resize would
 * otherwise read the old size. While the runtime is still applying a size, stdin is held (bounded) behind it.
 */
function stdinAfterResizes(stdin: PassThrough, resize: Pick<AsyncQueue<unknown>, 'busy' | 'whenIdle'> | undefined): { write(chunk: Buffer): boolean; end(): void } {
  const held: (Buffer | null)[] = [];
  let waiting = false;
  const flush = (): void => {
    waiting = false;
    for (const chunk of held.splice(0)) {
      if (chunk === null) stdin.end();
      else if (!stdin.writableEnded) stdin.write(chunk);
    }
  };
  const hold = (chunk: Buffer | null): boolean => {
    held.push(chunk);
    if (!waiting) {
      waiting = true;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((r) => (timer = setTimeout(r, RESIZE_ORDER_WAIT_MS)));
      void Promise.race([resize!.whenIdle(), timeout]).then(() => {
        clearTimeout(timer);
        flush();
      });
    }
    return true;
  };
  return {
    write: (chunk) => (waiting || resize?.busy ? hold(chunk) : stdin.writableEnded || stdin.write(chunk)),
    end: () => (waiting ? void hold(null) : void stdin.end()),
  };
}

async function endWritable(w: Writable | undefined): Promise<void> {
  if (!w || w.destroyed) return;
  w.end();
  await finished(w, { readable: false }).catch(() => undefined);
}

function wsStreams(ws: WebSocket, socket: Duplex, protocol: string, o: StreamOptions): RemoteStreams {
  const closeSignal = protocol === 'v5.channel.k8s.io';
  const stdin = o.stdin ? new PassThrough() : undefined;
  const resize = o.tty ? new AsyncQueue<{ width: number; height: number }>() : undefined;
  const input = stdin && stdinAfterResizes(stdin, resize);
  const sizes = new JsonObjectSplitter();
  let resolveGone!: () => void;
  const gone = new Promise<void>((r) => (resolveGone = r));
  ws.on('message', (data: Buffer) => {
    if (!data.length) return;
    const ch = data[0];
    const payload = data.subarray(1);
    if (ch === 0 && stdin && input && !stdin.writableEnded) {
      if (payload.length && !input.write(payload)) {
        ws.pause();
        stdin.once('drain', () => ws.resume());
      }
    } else if (ch === 4 && resize) {
      for (const s of sizes.push(payload.toString('utf8'))) {
        const size = toSize(s);
        if (size) resize.push(size);
      }
    } else if (ch === STREAM_CLOSE && closeSignal && payload[0] === 0) input?.end();
  });
  ws.on('error', () => undefined);
  ws.on('close', () => {
    input?.end();
    resize?.end();
    resolveGone();
  });
  const channel = (id: number): Writable =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (ws.readyState !== WebSocket.OPEN) return cb();
        ws.send(Buffer.concat([Buffer.from([id]), chunk]), { binary: true }, () => cb());
      },
    });
  const stdout = o.stdout ? channel(1) : undefined;
  const stderr = o.stderr ? channel(2) : undefined;
  return {
    protocol,
    stdin,
    stdout,
    stderr,
    resize,
    gone,
    async finish(st) {
      await Promise.all([endWritable(stdout), endWritable(stderr)]);
      const body = statusBody(protocol, st);
      if (ws.readyState === WebSocket.OPEN) {
        // Status and close frame go out as one write: one TLS record for the API server to relay.
        socket.cork();
        if (body) ws.send(Buffer.concat([Buffer.from([3]), body]), { binary: true });
        ws.close(1000);
        socket.uncork();
      }
      resize?.end();
    },
  };
}

/** Collects the streams the client opens (one per streamType) until all the options ask for are there. */
function spdyStreams(session: SpdySession, protocol: string, o: StreamOptions): Promise<RemoteStreams | string> {
  const resizable = protocol !== 'v2.channel.k8s.io' && protocol !== 'channel.k8s.io';
  const want = new Set<string>(['error']);
  if (o.stdin) want.add('stdin');
  if (o.stdout) want.add('stdout');
  if (o.stderr) want.add('stderr');
  if (o.tty && resizable) want.add('resize');
  const got = new Map<string, SpdyStream>();
  let resolveGone!: () => void;
  const gone = new Promise<void>((r) => (resolveGone = r));
  session.once('close', () => resolveGone());
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      session.off('stream', onStream);
      resolve(`timed out waiting for client to create streams (have [${[...got.keys()].join(' ')}], want [${[...want].join(' ')}])`);
    }, STREAM_CREATION_TIMEOUT_MS);
    const onStream = (s: SpdyStream): void => {
      s.reply();
      s.on('error', () => undefined);
      const type = s.headers['streamtype'] ?? '';
      got.set(type, s);
      if (![...want].every((w) => got.has(w))) return;
      clearTimeout(timer);
      session.off('stream', onStream);
      resolve(build());
    };
    session.on('stream', onStream);
    session.once('close', () => {
      clearTimeout(timer);
      resolve('connection closed before the streams were created');
    });

    const build = (): RemoteStreams => {
      const error = got.get('error')!;
      let resize: AsyncQueue<{ width: number; height: number }> | undefined;
      const rawResize = got.get('resize');
      let stdin: PassThrough | undefined;
      let input: ReturnType<typeof stdinAfterResizes> | undefined;
      const rawIn = o.stdin ? got.get('stdin') : undefined;
      if (rawIn) {
        stdin = new PassThrough();
        const to = stdin;
        const gate = stdinAfterResizes(to, rawResize && o.tty ? (resize = new AsyncQueue()) : undefined);
        input = gate;
        rawIn.on('data', (d: Buffer) => {
          if (!gate.write(d)) {
            rawIn.pause();
            to.once('drain', () => rawIn.resume());
          }
        });
        rawIn.once('end', () => gate.end());
        // A reset stream closes without 'end'; the process still needs its EOF.
        rawIn.once('close', () => gate.end());
      }
      if (rawResize && o.tty) {
        const q = resize ?? new AsyncQueue<{ width: number; height: number }>();
        const sizes = new JsonObjectSplitter();
        rawResize.on('data', (d: Buffer) => {
          for (const s of sizes.push(d.toString('utf8'))) {
            const size = toSize(s);
            if (size) q.push(size);
          }
        });
        rawResize.once('close', () => q.end());
        rawResize.once('end', () => q.end());
        resize = q;
      }
      const stdout = o.stdout ? got.get('stdout') : undefined;
      const stderr = o.stderr ? got.get('stderr') : undefined;
      session.once('close', () => input?.end());
      return {
        protocol,
        stdin,
        stdout,
        stderr,
        resize,
        gone,
        async finish(st) {
          await Promise.all([endWritable(stdout), endWritable(stderr)]);
          const body = statusBody(protocol, st);
          if (body && !error.destroyed) error.write(body);
          await endWritable(error);
          resize?.end();
          session.close();
        },
      };
    };
  });
}

/**
 * Upgrades the request (WebSocket or SPDY) and returns its streams, or
 * undefined when it has already answered with an error.
 */
export async function acceptRemoteCommand(req: IncomingMessage, socket: Duplex, head: Buffer, o: StreamOptions, log: Logger): Promise<RemoteStreams | undefined> {
  const kind = upgradeKind(req);
  if (kind === 'websocket') {
    const up = await acceptWebSocket(req, socket, head, WS_PROTOCOLS);
    return up && wsStreams(up.ws, socket, up.protocol, o);
  }
  if (kind === 'spdy') {
    const up = acceptSpdy(req, socket, head, SPDY_PROTOCOLS);
    if (!up) return undefined;
    const streams = await spdyStreams(up.session, up.protocol, o);
    if (typeof streams === 'string') {
      log.warn({ err: streams }, 'remote command stream setup failed');
      up.session.destroy();
      return undefined;
    }
    return streams;
  }
  rejectUpgrade(socket, 400, 'Upgrade request required');
  return undefined;
}

export const NON_ZERO_EXIT_CODE = 'NonZeroExitCode';

/** The status upstream's kubelet sends when the command exits: Success, or NonZeroExitCode with the code as a cause. */
export function exitStatus(command: string[], code: number): RemoteStatus {
  if (code === 0) return { status: 'Success' };
  return {
    status: 'Failure',
    reason: NON_ZERO_EXIT_CODE,
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

export function internalErrorStatus(message: string): RemoteStatus {
  return { status: 'Failure', message: `Internal error occurred: ${message}`, reason: 'InternalError', details: { causes: [{ message }] }, code: 500 };
}
