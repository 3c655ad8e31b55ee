// Just enough of the protobuf wire format to emit one message tree: varints,
// length-delimited fields (strings, bytes, nested messages) and doubles.
// Everything goes into one growing buffer; a nested message reserves room for
// the longest length prefix, and once its size is known the body is moved
// back to sit right after the real (minimal) prefix.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const MAX_LEN_PREFIX = 5; // enough for lengths below 2^35

export class ProtoWriter {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private pos = 0;

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private varint(n: number): void {
    this.reserve(10);
    this.varintInPlace(n);
  }

  /** Writes without growing: the caller has made room. */
  private varintInPlace(n: number): void {
    // Field numbers and lengths here stay far below 2^53, so plain arithmetic is exact.
    while (n > 0x7f) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  /** proto3 omits default values: empty strings are not written. */
  string(field: number, value: string | undefined): this {
    if (value === undefined || value === '') return this;
    const len = Buffer.byteLength(value, 'utf8');
    this.tag(field, WIRE_LEN);
    this.varint(len);
    this.reserve(len);
    this.pos += this.buf.write(value, this.pos, 'utf8');
    return this;
  }

  strings(field: number, values: readonly string[] | undefined): this {
    for (const v of values ?? []) {
      // Repeated strings keep empty entries: position matters in a list.
      if (v === '') {
        this.tag(field, WIRE_LEN);
        this.varint(0);
      } else this.string(field, v);
    }
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.varint(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  bool(field: number, value: boolean | undefined): this {
    if (!value) return this;
    this.tag(field, WIRE_VARINT);
    this.varint(1);
    return this;
  }

  uint(field: number, value: number | undefined): this {
    if (!value) return this;
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  double(field: number, value: number | undefined): this {
    if (value === undefined) return this;
    this.tag(field, WIRE_FIXED64);
    this.reserve(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
    return this;
  }

  /** A nested message; written even when empty, since presence itself can matter (oneof). */
  message(field: number, build: (w: ProtoWriter) => void): this {
    this.tag(field, WIRE_LEN);
    this.reserve(MAX_LEN_PREFIX);
    const start = this.pos;
    this.pos += MAX_LEN_PREFIX;
    build(this);
    const len = this.pos - start - MAX_LEN_PREFIX;
    const end = this.pos;
    this.pos = start;
    this.varintInPlace(len);
    const shift = start + MAX_LEN_PREFIX - this.pos;
    if (shift) this.buf.copyWithin(this.pos, start + MAX_LEN_PREFIX, end);
    this.pos = end - shift;
    return this;
  }

  finish(): Uint8Array {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
