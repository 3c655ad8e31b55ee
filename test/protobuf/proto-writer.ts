// Builds protobuf bytes for tests the way Go's gogo-protobuf does: every
// field written is written, zeros included, so tests can show which zeros the
// decoder keeps. Numbers are encoded as two's-complement 64-bit varints, which
// is how proto encodes a negative int32.

export class PB {
  private readonly parts: Buffer[] = [];

  private static varintBytes(n: number | bigint): Buffer {
    let v = BigInt.asUintN(64, BigInt(n));
    const out: number[] = [];
    while (v > 0x7fn) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    return Buffer.from(out);
  }

  private tag(field: number, wire: number): void {
    this.parts.push(PB.varintBytes(field * 8 + wire));
  }

  varint(field: number, n: number | bigint | boolean): this {
    this.tag(field, 0);
    this.parts.push(PB.varintBytes(typeof n === 'boolean' ? (n ? 1 : 0) : n));
    return this;
  }

  bytes(field: number, b: Buffer | Uint8Array): this {
    this.tag(field, 2);
    this.parts.push(PB.varintBytes(b.length), Buffer.from(b));
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, Buffer.from(s, 'utf8'));
  }

  message(field: number, build: (w: PB) => void = () => {}): this {
    const inner = new PB();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated varint field. */
  packed(field: number, values: (number | bigint)[]): this {
    return this.bytes(field, Buffer.concat(values.map((v) => PB.varintBytes(v))));
  }

  double(field: number, x: number): this {
    this.tag(field, 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(x);
    this.parts.push(b);
    return this;
  }

  /** A map<string, string> entry. */
  entry(field: number, key: string, value: string): this {
    return this.message(field, (e) => e.string(1, key).string(2, value));
  }

  /** Raw bytes appended as they are (a hand-made malformed tail). */
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw, contentEncoding "", contentType ""}, as kubectl sends. */
export function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const unknown = new PB()
    .message(1, (t) => t.string(1, apiVersion).string(2, kind))
    .bytes(2, raw)
    .string(3, '')
    .string(4, '')
    .finish();
  return Buffer.concat([Buffer.from('k8s\x00', 'latin1'), unknown]);
}

/** ObjectMeta the way Go writes a new object's: name set, every other non-pointer scalar zero, zero creationTimestamp. */
export function objectMeta(w: PB, name: string, namespace = ''): void {
  w.string(1, name).string(2, '').string(3, namespace).string(4, '').string(5, '').string(6, '').varint(7, 0).message(8);
}
