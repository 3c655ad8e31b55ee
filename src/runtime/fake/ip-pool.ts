// Pod IPs for the fake runtime: handed out in order from an IPv4 CIDR and
// returned when a sandbox is removed. Free addresses are kept as a sorted
// list of released ones plus a high-water mark, so 100k pods cost one number
// each at most.

export class IpPool {
  private readonly base: number;
  private readonly size: number;
  private next = 1;
  private readonly released: number[] = [];
  private readonly used = new Set<number>();

  constructor(cidr: string) {
    const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr.trim());
    if (!m) throw new Error(`invalid IPv4 CIDR "${cidr}"`);
    const bits = Number(m[5]);
    if (bits < 8 || bits > 30) throw new Error(`CIDR "${cidr}": prefix must be between /8 and /30`);
    const ip = (Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4]);
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    this.base = (ip & mask) >>> 0;
    this.size = 2 ** (32 - bits);
  }

  allocate(): string {
    let off = this.released.pop();
    if (off === undefined) {
      // .0 is the network and the last address broadcast; the gateway takes .1 as on a bridge.
      if (this.next + 1 >= this.size - 1) throw new Error('pod CIDR exhausted');
      off = ++this.next;
    }
    this.used.add(off);
    return toDotted(this.base + off);
  }

  release(ip: string): void {
    const off = fromDotted(ip) - this.base;
    if (!this.used.delete(off)) return;
    this.released.push(off);
  }
}

function toDotted(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function fromDotted(s: string): number {
  const p = s.split('.').map(Number);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}
