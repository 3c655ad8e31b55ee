// The two ranges Services draw from: --service-cluster-ip-range (an IPv4
// CIDR without its network and broadcast addresses) and
// --service-node-port-range (an inclusive port range). Each maps a value to a
// bitmap offset and back.

export interface Range<T> {
  /** As written in the RangeAllocation object: "10.0.0.0/24", "30000-32767". */
  readonly text: string;
  readonly size: number;
  /** Offsets below this are kept for values asked for by number. */
  readonly staticBand: number;
  /** -1 when the value is outside the range. */
  offsetOf(v: T): number;
  valueAt(offset: number): T;
}

export function ipToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export class IPRange implements Range<string> {
  readonly text: string;
  readonly size: number;
  readonly staticBand: number;
  /** The address at offset 0 (the network address + 1). */
  private readonly base: number;

  constructor(cidr: string) {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr.trim());
    const addr = m ? ipToInt(m[1]!) : undefined;
    const bits = m ? Number(m[2]) : NaN;
    if (addr === undefined || !(bits >= 0 && bits <= 30)) throw new Error(`--service-cluster-ip-range must be an IPv4 CIDR like 10.0.0.0/24 (at most /30), not ${cidr}`);
    const cidrSize = 2 ** (32 - bits);
    const network = Math.floor(addr / cidrSize) * cidrSize;
    this.text = `${intToIp(network)}/${bits}`;
    this.base = network + 1;
    // Upstream leaves out the network and broadcast addresses of an IPv4 range.
    this.size = Math.min(cidrSize - 2, 1 << 24);
    this.staticBand = Math.min(staticBandSizeIP(cidrSize), this.size);
  }

  offsetOf(ip: string): number {
    const n = ipToInt(ip);
    if (n === undefined) return -1;
    const off = n - this.base;
    return off >= 0 && off < this.size ? off : -1;
  }

  valueAt(offset: number): string {
    return intToIp(this.base + offset);
  }

  /** The kubernetes Service's address (offset 0) and kube-dns's (offset 9: 10.0.0.10). */
  nth(n: number): string {
    return this.valueAt(n - 1);
  }
}

function staticBandSizeIP(cidrSize: number): number {
  // Upstream's calculateRangeOffset for Service IPs: min 16, max 256, step 16.
  if (cidrSize < 16) return 0;
  return Math.max(16, Math.min(256, Math.floor(cidrSize / 16)));
}

export class PortRange implements Range<number> {
  readonly text: string;
  readonly size: number;
  readonly staticBand: number;
  readonly base: number;

  constructor(spec: string) {
    // Upstream's net.ParsePortRange: "30000-32767", "30000+2767" or a single port.
    const s = spec.trim();
    let lo: number;
    let hi: number;
    let m: RegExpExecArray | null;
    if ((m = /^(\d+)-(\d+)$/.exec(s))) [lo, hi] = [Number(m[1]), Number(m[2])];
    else if ((m = /^(\d+)\+(\d+)$/.exec(s))) [lo, hi] = [Number(m[1]), Number(m[1]) + Number(m[2])];
    else if (/^\d+$/.test(s)) lo = hi = Number(s);
    else throw new Error(`--service-node-port-range must be a port range like 30000-32767, not ${spec}`);
    if (lo < 1 || hi > 65535 || hi < lo) throw new Error(`--service-node-port-range must be a port range like 30000-32767, not ${spec}`);
    this.base = lo;
    this.size = hi - lo + 1;
    this.text = `${lo}-${hi}`;
    // Upstream's calculateRangeOffset for node ports: min 16, max 128, step 32.
    this.staticBand = this.size < 16 ? 0 : Math.max(16, Math.min(128, Math.floor(this.size / 32)));
  }

  offsetOf(port: number): number {
    const off = port - this.base;
    return Number.isInteger(off) && off >= 0 && off < this.size ? off : -1;
  }

  valueAt(offset: number): number {
    return this.base + offset;
  }
}
