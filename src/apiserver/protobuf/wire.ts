// The protobuf wire format, read-only: a cursor over one message's bytes that
// yields (field number, wire type, value) triples. Values stay raw here; what a
// varint or a length-delimited run means depends on the schema, which the
// message decoder knows and this file does not.

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

export type WireValue =
  | { wire: typeof WIRE_VARINT; value: bigint }
  | { wire: typeof WIRE_FIXED64; value: Buffer }
  | { wire: typeof WIRE_LEN; value: Buffer }
  | { wire: typeof WIRE_FIXED32; value: Buffer };

export type WireField = WireValue & { field: number };

/** A malformed message; the caller turns it into a 400 that names the type being read. */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

export class WireReader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** Varints are read as BigInt: int64 and negative int32 (sign-extended to ten bytes) need all 64 bits. */
  private varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new WireError(`truncated varint at byte ${this.pos}`);
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new WireError(`varint longer than ten bytes at byte ${this.pos}`);
  }

  private take(n: number): Buffer {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new WireError(`a field of ${n} bytes at byte ${this.pos} runs past the end of the message (${this.buf.length} bytes)`);
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  next(): WireField {
    const key = this.varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0 || field > 0x1fffffff) throw new WireError(`invalid field number ${field}`);
    switch (wire) {
      case WIRE_VARINT:
        return { field, wire, value: this.varint() };
      case WIRE_FIXED64:
        return { field, wire, value: this.take(8) };
      case WIRE_LEN: {
        const len = this.varint();
        if (len > BigInt(this.buf.length)) throw new WireError(`field ${field} declares ${len} bytes, more than the message holds`);
        return { field, wire, value: this.take(Number(len)) };
      }
      case WIRE_FIXED32:
        return { field, wire, value: this.take(4) };
      default:
        // Groups (3, 4) are proto1 leftovers that no Kubernetes type uses.
        throw new WireError(`field ${field} has unsupported wire type ${wire}`);
    }
  }

  /** Every field of the message, in wire order. */
  static fields(buf: Buffer): WireField[] {
    const r = new WireReader(buf);
    const out: WireField[] = [];
    while (!r.done) out.push(r.next());
    return out;
  }

  /** The varints of a packed repeated field. */
  static packedVarints(buf: Buffer): bigint[] {
    const r = new WireReader(buf);
    const out: bigint[] = [];
    while (!r.done) out.push(r.varint());
    return out;
  }
}

/** True when a field carries its type's zero value, so skipping it loses nothing. */
export function isZeroWireValue(f: WireValue): boolean {
  if (f.wire === WIRE_VARINT) return f.value === 0n;
  if (f.wire === WIRE_LEN) return f.value.length === 0;
  return f.value.every((b) => b === 0);
}

export function wireTypeName(wire: number): string {
  return ['varint', 'fixed64', 'length-delimited', 'group start', 'group end', 'fixed32'][wire] ?? `wire type ${wire}`;
}
