import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Duplex, PassThrough } from 'node:stream';
import zlib from 'node:zlib';
import { SpdySession, decodeHeaderBlock, encodeHeaderBlock, type SpdyStream } from '../../../src/kubelet/streaming/spdy.js';

// The SPDY/3.1 server framing against a client built here from the spec:
// header blocks compressed with the SPDY dictionary in one zlib stream with
// sync flushes (as Go's framer writes them), and every reply inflated by one
// persistent inflater (as Go's framer reads them).

const DICT: Buffer = (createRequire(import.meta.url)('spdy-transport') as any).protocol.spdy.dictionary[3];

class Client {
  readonly toServer = new PassThrough();
  readonly fromServer = new PassThrough();
  readonly transport: Duplex;
  private readonly deflate = zlib.createDeflate({ dictionary: DICT });
  private readonly inflate = zlib.createInflate({ dictionary: DICT });
  private buf = Buffer.alloc(0);
  frames: { control: boolean; type: number; id: number; flags: number; body: Buffer }[] = [];

  constructor() {
    this.transport = Duplex.from({ readable: this.toServer, writable: this.fromServer });
    this.fromServer.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 8) {
        const len = this.buf.readUInt32BE(4) & 0xffffff;
        if (this.buf.length < 8 + len) break;
        const f = this.buf.subarray(0, 8 + len);
        this.buf = this.buf.subarray(8 + len);
        const control = (f[0]! & 0x80) !== 0;
        const body = Buffer.from(f.subarray(8));
        this.frames.push({ control, type: control ? f.readUInt16BE(2) : 0, id: control ? (body.length >= 4 ? body.readUInt32BE(0) & 0x7fffffff : 0) : f.readUInt32BE(0) & 0x7fffffff, flags: f[4]!, body });
      }
    });
  }

  private compress(block: Buffer): Promise<Buffer> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      const onData = (c: Buffer) => chunks.push(c);
      this.deflate.on('data', onData);
      this.deflate.write(block);
      this.deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        setImmediate(() => {
          this.deflate.off('data', onData);
          resolve(Buffer.concat(chunks));
        });
      });
    });
  }

  inflateReply(body: Buffer): Promise<Record<string, string>> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      const onData = (c: Buffer) => chunks.push(c);
      this.inflate.on('data', onData);
      this.inflate.write(body.subarray(4));
      this.inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        setImmediate(() => {
          this.inflate.off('data', onData);
          resolve(decodeHeaderBlock(Buffer.concat(chunks)));
        });
      });
    });
  }

  async synStream(id: number, headers: Record<string, string>, flags = 0): Promise<void> {
    const block = await this.compress(encodeHeaderBlock(headers));
    const body = Buffer.alloc(10);
    body.writeUInt32BE(id, 0);
    this.control(1, flags, Buffer.concat([body, block]));
  }

  control(type: number, flags: number, body: Buffer): void {
    const h = Buffer.alloc(8);
    h.writeUInt16BE(0x8003, 0);
    h.writeUInt16BE(type, 2);
    h.writeUInt32BE((flags << 24) | body.length, 4);
    this.toServer.write(Buffer.concat([h, body]));
  }

  data(id: number, data: Buffer, fin = false): void {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(id, 0);
    h.writeUInt32BE(((fin ? 1 : 0) << 24) | data.length, 4);
    this.toServer.write(Buffer.concat([h, data]));
  }
}

const tick = () => new Promise((r) => setImmediate(r));
async function until<T>(fn: () => T | undefined): Promise<T> {
  for (;;) {
    const v = fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('header blocks round-trip, lower-cased, first of NUL-separated values', () => {
  const block = encodeHeaderBlock({ StreamType: 'data', port: ['8080', '9090'] });
  assert.deepEqual(decodeHeaderBlock(block), { streamtype: 'data', port: '8080' });
  assert.throws(() => decodeHeaderBlock(block.subarray(0, block.length - 2)), /truncated/);
});

test('streams open with compressed headers, get replies a persistent inflater reads, and carry data both ways', async () => {
  const c = new Client();
  const session = new SpdySession(c.transport);
  const streams: SpdyStream[] = [];
  session.on('stream', (s) => {
    s.reply();
    streams.push(s);
  });
  await c.synStream(1, { streamtype: 'error', port: '80', requestid: '0' });
  await c.synStream(3, { streamtype: 'data', port: '80', requestid: '0' });
  await until(() => streams.length === 2 || undefined);
  assert.deepEqual(streams.map((s) => s.headers.streamtype), ['error', 'data']);
  const replies = await until(() => (c.frames.filter((f) => f.control && f.type === 2).length === 2 ? c.frames.filter((f) => f.type === 2) : undefined));
  // Each reply's block must inflate on its own, in order, with one context: what Go's framer requires.
  for (const r of replies) assert.deepEqual(await c.inflateReply(r.body), {});

  const data = streams[1]!;
  const got: Buffer[] = [];
  data.on('data', (d: Buffer) => got.push(d));
  c.data(3, Buffer.from('ping'), true);
  await until(() => (data.readableEnded || undefined));
  assert.equal(Buffer.concat(got).toString(), 'ping');
  data.end(Buffer.alloc(100_000, 1));
  await until(() => c.frames.some((f) => !f.control && f.id === 3 && (f.flags & 1)) || undefined);
  const payload = c.frames.filter((f) => !f.control && f.id === 3).reduce((n, f) => n + f.body.length, 0);
  assert.equal(payload, 100_000);
  assert.equal(session.streamCount, 1);

  // A reset from the client destroys the stream; a ping with an odd id comes back.
  const error = streams[0]!;
  const closed = new Promise((r) => error.once('close', r));
  error.on('error', () => undefined);
  const rst = Buffer.alloc(8);
  rst.writeUInt32BE(1, 0);
  rst.writeUInt32BE(5, 4);
  c.control(3, 0, rst);
  await closed;
  assert.equal(session.streamCount, 0);
  const ping = Buffer.alloc(4);
  ping.writeUInt32BE(7);
  c.control(6, 0, ping);
  await until(() => c.frames.find((f) => f.control && f.type === 6));
  session.close();
  await tick();
  assert.ok(c.frames.some((f) => f.control && f.type === 7), 'GOAWAY sent');
});

test('a stream id that goes backwards is refused with RST_STREAM PROTOCOL_ERROR', async () => {
  const c = new Client();
  const session = new SpdySession(c.transport);
  let opened = 0;
  session.on('stream', (s) => {
    opened++;
    s.reply();
  });
  await c.synStream(5, { streamtype: 'error' });
  await c.synStream(3, { streamtype: 'data' });
  const rst = await until(() => c.frames.find((f) => f.control && f.type === 3));
  assert.equal(rst.id, 3);
  assert.equal(rst.body.readUInt32BE(4), 1);
  assert.equal(opened, 1);
  session.destroy();
});
