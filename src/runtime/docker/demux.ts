// Docker multiplexes stdout and stderr on one stream when a container (or
// exec) has no tty: each frame is an 8-byte header (stream id, three zero
// bytes, big-endian payload length) followed by the payload. Frames arrive
// split or glued across chunks, so this reassembles them.

export type StreamName = 'stdin' | 'stdout' | 'stderr';

const STREAMS: Record<number, StreamName> = { 0: 'stdin', 1: 'stdout', 2: 'stderr' };
const HEADER = 8;

export class Demuxer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (stream: StreamName, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    while (this.pending.length - offset >= HEADER) {
      const size = this.pending.readUInt32BE(offset + 4);
      if (this.pending.length - offset < HEADER + size) break;
      const stream = STREAMS[this.pending[offset]] ?? 'stdout';
      this.onFrame(stream, this.pending.subarray(offset + HEADER, offset + HEADER + size));
      offset += HEADER + size;
    }
    this.pending = offset === 0 ? this.pending : Buffer.from(this.pending.subarray(offset));
  }

  /** Bytes of an incomplete frame left when the stream ended. */
  get leftover(): number {
    return this.pending.length;
  }
}

/** Builds one frame, for tests and fakes that speak the same format. */
export function frame(stream: StreamName, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(HEADER);
  header[0] = stream === 'stdin' ? 0 : stream === 'stdout' ? 1 : 2;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}
