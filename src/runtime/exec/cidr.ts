// IPv4 CIDR arithmetic for the node's pod network: parsing, overlap tests
// against the host's routes, and the address plan of a node (.0 network,
// .1 the pods' gateway, pods from .2, the last address left unused).

export interface Cidr {
  base: number;
  bits: number;
  size: number;
}

export function parseCidr(s: string): Cidr {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/.exec(s.trim());
  if (!m || [m[1], m[2], m[3], m[4]].some((o) => Number(o) > 255)) throw new Error(`invalid IPv4 CIDR "${s}"`);
  const bits = m[5] === undefined ? 32 : Number(m[5]);
  if (bits > 32) throw new Error(`invalid IPv4 CIDR "${s}"`);
  const ip = toNumber(`${m[1]}.${m[2]}.${m[3]}.${m[4]}`);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return { base: (ip & mask) >>> 0, bits, size: 2 ** (32 - bits) };
}

export function toNumber(ip: string): number {
  const p = ip.split('.').map(Number);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

export function toDotted(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

export function gateway(c: Cidr): string {
  return toDotted(c.base + 1);
}

/** The lowest pod address not in use, or undefined when the range is full. */
export function allocate(c: Cidr, used: Set<string>): string | undefined {
  for (let off = 2; off < c.size - 1; off++) {
    const ip = toDotted(c.base + off);
    if (!used.has(ip)) return ip;
  }
  return undefined;
}
