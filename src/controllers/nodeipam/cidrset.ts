// The cluster CIDR cut into equal node subnets (upstream's cidrset): a
// bitmap of taken subnets and a rotating next candidate, so a subnet just
// freed is handed out again only after every other free one (a stale route
// to a deleted node's pods is then unlikely to catch a new node's pods).

export interface Ipv4Cidr {
  base: number;
  bits: number;
}

export function parseIpv4Cidr(s: string): Ipv4Cidr {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s.trim());
  if (!m || [m[1], m[2], m[3], m[4]].some((o) => Number(o) > 255) || Number(m[5]) > 32) throw new Error(`invalid IPv4 CIDR ${JSON.stringify(s)}`);
  const bits = Number(m[5]);
  const ip = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return { base: (ip & mask) >>> 0, bits };
}

export function formatIpv4Cidr(c: Ipv4Cidr): string {
  const n = c.base;
  return `${[(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')}/${c.bits}`;
}

/** Upstream refuses a cluster CIDR cut into more than 2^16 node subnets. */
const MAX_PREFIX_DIFF = 16;

export class CidrSetFullError extends Error {
  constructor(readonly clusterCidr: string) {
    super(`no remaining CIDRs in ${clusterCidr}`);
  }
}

export class CidrSet {
  readonly cluster: Ipv4Cidr;
  readonly count: number;
  private readonly used = new Set<number>();
  private next = 0;

  constructor(
    readonly clusterCidr: string,
    readonly maskSize: number,
  ) {
    this.cluster = parseIpv4Cidr(clusterCidr);
    if (!Number.isInteger(maskSize) || maskSize < this.cluster.bits || maskSize > 32) {
      throw new Error(`--node-cidr-mask-size ${maskSize} must lie between the cluster CIDR's prefix (${this.cluster.bits}) and 32`);
    }
    if (maskSize - this.cluster.bits > MAX_PREFIX_DIFF) {
      throw new Error(`--node-cidr-mask-size ${maskSize} cuts ${clusterCidr} into more than 2^${MAX_PREFIX_DIFF} subnets; use a mask size at most ${this.cluster.bits + MAX_PREFIX_DIFF}`);
    }
    this.count = 2 ** (maskSize - this.cluster.bits);
  }

  private cidrAt(i: number): string {
    return formatIpv4Cidr({ base: (this.cluster.base + i * 2 ** (32 - this.maskSize)) >>> 0, bits: this.maskSize });
  }

  /** Index of a node subnet; throws when the CIDR is not one of this set's subnets. */
  indexOf(cidr: string): number {
    const c = parseIpv4Cidr(cidr);
    const size = 2 ** (32 - this.maskSize);
    const off = c.base - this.cluster.base;
    if (c.bits !== this.maskSize || off < 0 || off % size !== 0 || off / size >= this.count) {
      throw new Error(`CIDR ${cidr} is not a /${this.maskSize} subnet of the cluster CIDR ${this.clusterCidr}`);
    }
    return off / size;
  }

  allocateNext(): string {
    for (let k = 0; k < this.count; k++) {
      const i = (this.next + k) % this.count;
      if (this.used.has(i)) continue;
      this.used.add(i);
      this.next = (i + 1) % this.count;
      return this.cidrAt(i);
    }
    throw new CidrSetFullError(this.clusterCidr);
  }

  occupy(cidr: string): void {
    this.used.add(this.indexOf(cidr));
  }

  release(cidr: string): void {
    this.used.delete(this.indexOf(cidr));
  }

  isUsed(cidr: string): boolean {
    return this.used.has(this.indexOf(cidr));
  }

  get free(): number {
    return this.count - this.used.size;
  }
}
