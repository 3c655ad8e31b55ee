// The allocation bitmap of one range (service IPs or node ports), as
// upstream's allocator.AllocationBitmap: bit i set means offset i is taken.
// It travels through the Store as base64 so every API server sharing the
// store sees (and compare-and-swaps) the same bits.

export class Bitmap {
  private readonly bytes: Uint8Array;

  constructor(
    readonly size: number,
    data?: Uint8Array,
  ) {
    this.bytes = new Uint8Array(Math.ceil(size / 8));
    if (data) this.bytes.set(data.subarray(0, this.bytes.length));
  }

  static decode(size: number, b64: string): Bitmap {
    return new Bitmap(size, Buffer.from(b64, 'base64'));
  }

  encode(): string {
    return Buffer.from(this.bytes).toString('base64');
  }

  has(i: number): boolean {
    return (this.bytes[i >> 3]! & (1 << (i & 7))) !== 0;
  }

  set(i: number): void {
    this.bytes[i >> 3]! |= 1 << (i & 7);
  }

  clear(i: number): void {
    this.bytes[i >> 3]! &= ~(1 << (i & 7));
  }

  count(): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) if (this.has(i)) n++;
    return n;
  }

  *members(): Generator<number> {
    for (let i = 0; i < this.size; i++) if (this.has(i)) yield i;
  }

  /**
   * A free offset, random within [bandStart, size) first and [0, bandStart)
   * after, as upstream's randomScanStrategyWithOffset: the lower band stays
   * free for addresses people ask for by number (KEP-3070). -1 when full.
   */
  randomFree(bandStart: number): number {
    const scan = (from: number, to: number): number => {
      const n = to - from;
      if (n <= 0) return -1;
      const start = Math.floor(Math.random() * n);
      for (let k = 0; k < n; k++) {
        const i = from + ((start + k) % n);
        if (!this.has(i)) return i;
      }
      return -1;
    };
    const hi = scan(bandStart, this.size);
    return hi >= 0 ? hi : scan(0, bandStart);
  }
}
