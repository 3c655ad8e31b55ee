import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { Duplex } from 'node:stream';
import zlib from 'node:zlib';

// The server side of SPDY/3.1 as Go's moby/spdystream (kubectl, client-go)
// speaks it: the client opens streams (SYN_STREAM with a few lower-case
// headers), the server answers each with SYN_REPLY, data flows as DATA
// frames, FIN half-closes, RST_STREAM aborts. spdystream implements no flow
// control (it neither sends nor honours WINDOW_UPDATE), so neither does this.
// Header blocks are zlib streams that span the whole connection: incoming
// ones are inflated with the SPDY/3 dictionary by one persistent inflater;
// outgoing ones are written as stored (uncompressed) deflate blocks in one
// continuous zlib stream, which every inflater reads and which keeps writing
// synchronous. See docs/architecture.md for why spdy-transport is not used.

const require = createRequire(import.meta.url);
/**
 * The SPDY/3 header dictionary, a constant of the spec; spdy-transport ships it in a file of its own.
 * Only that file is loaded: the package's index loads its whole transport (hpack, readable-stream;
 * 1.6 MB of heap) that this module does not use.
 */
const DICTIONARY: Buffer = (require('spdy-transport/lib/spdy-transport/protocol/spdy/dictionary.js') as Record<number, Buffer>)[3]!;

const VERSION = 3;
const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const SETTINGS = 4;
const PING = 6;
const GOAWAY = 7;
const HEADERS = 8;
const WINDOW_UPDATE = 9;
const FLAG_FIN = 0x01;
const FLAG_UNIDIRECTIONAL = 0x02;
const MAX_DATA = 32 * 1024;

export const RST_PROTOCOL_ERROR = 1;
export const RST_INVALID_STREAM = 2;
export const RST_CANCEL = 5;
export const RST_INTERNAL_ERROR = 6;

function controlFrame(type: number, flags: number, body: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | VERSION, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(((flags & 0xff) << 24) | body.length, 4);
  return Buffer.concat([h, body]);
}

function dataFrame(id: number, flags: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(id & 0x7fffffff, 0);
  h.writeUInt32BE(((flags & 0xff) << 24) | data.length, 4);
  return data.length ? Buffer.concat([h, data]) : h;
}

export function encodeHeaderBlock(headers: Record<string, string | string[]>): Buffer {
  const parts: Buffer[] = [];
  const entries = Object.entries(headers);
  const n = Buffer.alloc(4);
  n.writeUInt32BE(entries.length);
  parts.push(n);
  for (const [k, v] of entries) {
    const name = Buffer.from(k.toLowerCase());
    const value = Buffer.from(Array.isArray(v) ? v.join('\0') : v);
    const ln = Buffer.alloc(4);
    ln.writeUInt32BE(name.length);
    const lv = Buffer.alloc(4);
    lv.writeUInt32BE(value.length);
    parts.push(ln, name, lv, value);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(buf: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  const need = (n: number): void => {
    if (off + n > buf.length) throw new Error('truncated SPDY header block');
  };
  need(4);
  const count = buf.readUInt32BE(off);
  off += 4;
  for (let i = 0; i < count; i++) {
    need(4);
    const ln = buf.readUInt32BE(off);
    off += 4;
    need(ln);
    const name = buf.subarray(off, off + ln).toString('utf8').toLowerCase();
    off += ln;
    need(4);
    const lv = buf.readUInt32BE(off);
    off += 4;
    need(lv);
    // Several values of one header are NUL-separated; the first is the one the protocols read.
    out[name] = buf.subarray(off, off + lv).toString('utf8').split('\0')[0]!;
    off += lv;
  }
  return out;
}

/**
 * A zlib stream of stored blocks: valid deflate that any inflater (Go's
 * included) reads, written synchronously. Each header block ends with an
 * empty stored block, as a zlib sync flush does: Go's inflater hands out a
 * block's bytes only when it reaches the next block header, so without that
 * marker it would read past the frame and fail the next one.
 */
class StoredZlibWriter {
  private started = false;

  block(data: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      // CMF 0x78 (deflate, 32K window), FLG 0x01: no preset dictionary, check bits valid.
      parts.push(Buffer.from([0x78, 0x01]));
      this.started = true;
    }
    for (let off = 0; off < data.length; off += 0xffff) parts.push(storedBlock(data.subarray(off, off + 0xffff)));
    parts.push(storedBlock(Buffer.alloc(0)));
    return Buffer.concat(parts);
  }
}

/** BFINAL=0, BTYPE=00 (stored): the 3 header bits are padded to a byte, then LEN, NLEN and the bytes. */
function storedBlock(chunk: Buffer): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt16LE(chunk.length, 1);
  h.writeUInt16LE(~chunk.length & 0xffff, 3);
  return Buffer.concat([h, chunk]);
}

/** Inflates each header block in order with one persistent zlib context, as the spec requires. */
class HeaderInflater {
  private readonly inflate = zlib.createInflate({ dictionary: DICTIONARY });
  private failure: Error | undefined;

  constructor() {
    this.inflate.on('error', (err) => (this.failure = err));
  }

  block(data: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.inflate.write(data);
      this.inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        if (this.failure) return reject(this.failure);
        const chunks: Buffer[] = [];
        let c: Buffer | null;
        while ((c = this.inflate.read() as Buffer | null) !== null) chunks.push(c);
        resolve(Buffer.concat(chunks));
      });
    });
  }

  close(): void {
    this.inflate.destroy();
  }
}

export class SpdyStream extends Duplex {
  private remoteFinished = false;
  private localFinished = false;
  private replied = false;
  private pausedTransport = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: Record<string, string>,
    unidirectional: boolean,
  ) {
    super({ allowHalfOpen: true });
    if (unidirectional) this.localFinished = true;
  }

  /** Sends SYN_REPLY (the client waits for it before it sends data). */
  reply(headers: Record<string, string> = {}): void {
    if (this.replied) return;
    this.replied = true;
    this.session.sendControl(SYN_REPLY, 0, Buffer.concat([uint32(this.id), this.session.headerBlock(headers)]));
  }

  /** Aborts the stream in both directions (RST_STREAM). */
  reset(code = RST_CANCEL): void {
    if (!this.session.forget(this)) return;
    this.session.sendControl(RST_STREAM, 0, Buffer.concat([uint32(this.id), uint32(code)]));
    this.destroy();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.localFinished || this.session.closed) return cb();
    this.reply();
    let ok = true;
    for (let off = 0; off < chunk.length; off += MAX_DATA) ok = this.session.sendRaw(dataFrame(this.id, 0, chunk.subarray(off, off + MAX_DATA)));
    if (ok) cb();
    else this.session.onDrain(() => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.localFinished && !this.session.closed) {
      this.reply();
      this.session.sendRaw(dataFrame(this.id, FLAG_FIN, Buffer.alloc(0)));
    }
    this.localFinished = true;
    this.maybeDone();
    cb();
  }

  override _read(): void {
    if (this.pausedTransport) {
      this.pausedTransport = false;
      this.session.resumeFor(this);
    }
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.session.forget(this);
    cb(err);
  }

  /** @internal */
  onData(data: Buffer, fin: boolean): void {
    if (this.remoteFinished) return;
    if (data.length && !this.push(data)) {
      this.pausedTransport = true;
      this.session.pauseFor(this);
    }
    if (fin) this.onRemoteFin();
  }

  /** @internal */
  onRemoteFin(): void {
    if (this.remoteFinished) return;
    this.remoteFinished = true;
    this.push(null);
    this.maybeDone();
  }

  /** Why the stream ended early (reset by the peer, connection gone), if it did. */
  resetReason: string | undefined;

  /** @internal: the peer reset the stream or the connection ended. Closes without an 'error' nobody may be listening for. */
  onReset(reason: string): void {
    this.remoteFinished = true;
    this.localFinished = true;
    this.resetReason = reason;
    this.destroy();
  }

  private maybeDone(): void {
    if (this.remoteFinished && this.localFinished) this.session.forget(this);
  }
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export interface SpdySessionEvents {
  stream: [SpdyStream];
  close: [];
}

/**
 * The server end of one SPDY/3.1 connection over any byte transport (a TLS
 * socket after an HTTP upgrade, or a WebSocket stream when the client
 * tunnels SPDY in WebSocket messages). Emits 'stream' for each stream the
 * client opens; the listener calls stream.reply() to accept it.
 */
export class SpdySession extends EventEmitter<SpdySessionEvents> {
  private buf: Buffer = Buffer.alloc(0);
  private readonly streams = new Map<number, SpdyStream>();
  private readonly inflater = new HeaderInflater();
  private readonly deflater = new StoredZlibWriter();
  private queue: Promise<void> = Promise.resolve();
  private readonly pausers = new Set<SpdyStream>();
  private lastStreamId = 0;
  closed = false;

  constructor(private readonly transport: Duplex) {
    super();
    transport.on('data', (chunk: Buffer) => this.onBytes(chunk));
    transport.on('end', () => this.shutdown());
    transport.on('close', () => this.shutdown());
    transport.on('error', () => this.shutdown());
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** Sends GOAWAY and closes the transport once written. */
  close(): void {
    if (this.closed) return;
    const body = Buffer.concat([uint32(this.lastStreamId), uint32(0)]);
    this.sendControl(GOAWAY, 0, body);
    this.transport.end();
    this.shutdown();
  }

  destroy(): void {
    this.transport.destroy();
    this.shutdown();
  }

  /** @internal */
  headerBlock(headers: Record<string, string>): Buffer {
    return this.deflater.block(encodeHeaderBlock(headers));
  }

  /** @internal */
  sendControl(type: number, flags: number, body: Buffer): boolean {
    return this.sendRaw(controlFrame(type, flags, body));
  }

  /** @internal */
  sendRaw(frame: Buffer): boolean {
    if (this.closed || this.transport.destroyed || this.transport.writableEnded) return true;
    return this.transport.write(frame);
  }

  /** @internal */
  onDrain(fn: () => void): void {
    if (this.closed) return fn();
    const done = (): void => {
      this.transport.off('drain', done);
      this.off('close', done);
      fn();
    };
    this.transport.on('drain', done);
    this.on('close', done);
  }

  /** @internal: a stream's reader is full; stop reading the connection until it drains. */
  pauseFor(s: SpdyStream): void {
    this.pausers.add(s);
    this.transport.pause();
  }

  /** @internal */
  resumeFor(s: SpdyStream): void {
    this.pausers.delete(s);
    if (this.pausers.size === 0 && !this.closed) this.transport.resume();
  }

  /** @internal: removes a finished stream; false if it was already gone. */
  forget(s: SpdyStream): boolean {
    if (this.streams.get(s.id) !== s) return false;
    this.streams.delete(s.id);
    this.resumeFor(s);
    return true;
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    this.inflater.close();
    for (const s of [...this.streams.values()]) s.onReset('connection closed');
    this.streams.clear();
    this.emit('close');
  }

  private onBytes(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let off = 0;
    while (this.buf.length - off >= 8) {
      const len = this.buf.readUInt32BE(off + 4) & 0xffffff;
      if (this.buf.length - off < 8 + len) break;
      const frame = this.buf.subarray(off, off + 8 + len);
      off += 8 + len;
      // Header blocks inflate asynchronously; the queue keeps every frame in arrival order.
      this.queue = this.queue.then(() => this.onFrame(frame)).catch(() => this.destroy());
    }
    this.buf = off === 0 ? this.buf : Buffer.from(this.buf.subarray(off));
  }

  private async onFrame(frame: Buffer): Promise<void> {
    if (this.closed) return;
    const flags = frame[4]!;
    const body = frame.subarray(8);
    if ((frame[0]! & 0x80) === 0) {
      const id = frame.readUInt32BE(0) & 0x7fffffff;
      const s = this.streams.get(id);
      if (s) s.onData(Buffer.from(body), (flags & FLAG_FIN) !== 0);
      return;
    }
    const type = frame.readUInt16BE(2);
    switch (type) {
      case SYN_STREAM: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await this.inflater.block(body.subarray(10)));
        if (id <= this.lastStreamId || id % 2 === 0) {
          this.sendControl(RST_STREAM, 0, Buffer.concat([uint32(id), uint32(RST_PROTOCOL_ERROR)]));
          return;
        }
        this.lastStreamId = id;
        const s = new SpdyStream(this, id, headers, (flags & FLAG_UNIDIRECTIONAL) !== 0);
        this.streams.set(id, s);
        if (flags & FLAG_FIN) s.onRemoteFin();
        this.emit('stream', s);
        return;
      }
      case HEADERS: {
        // Decompressed to keep the shared zlib context in step; the protocols never send any.
        await this.inflater.block(body.subarray(4));
        if (flags & FLAG_FIN) this.streams.get(body.readUInt32BE(0) & 0x7fffffff)?.onRemoteFin();
        return;
      }
      case SYN_REPLY:
        await this.inflater.block(body.subarray(4));
        return;
      case RST_STREAM: {
        const s = this.streams.get(body.readUInt32BE(0) & 0x7fffffff);
        if (s) {
          this.forget(s);
          s.onReset(`stream reset by peer (status ${body.readUInt32BE(4)})`);
        }
        return;
      }
      case PING:
        // Client pings have odd ids: echo them back unchanged (the server sends none of its own).
        if (body.readUInt32BE(0) % 2 === 1) this.sendControl(PING, 0, Buffer.from(body.subarray(0, 4)));
        return;
      case GOAWAY:
        this.close();
        return;
      case SETTINGS:
      case WINDOW_UPDATE:
        return;
      default:
        return;
    }
  }
}
