import { isIPv6 } from 'node:net';
import type { Exec } from './exec.js';

// Local IPv4 addresses (of the namespace the Exec runs in) and CIDR matching,
// for --nodeport-addresses.

export function ipToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  return (((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0);
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function inCIDR(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const b = bits === undefined ? 32 : Number(bits);
  if (b === 0) return true;
  const mask = (~0 << (32 - b)) >>> 0;
  return ((ipToInt(ip) & mask) >>> 0) === ((ipToInt(base!) & mask) >>> 0);
}

export function isIPv4CIDR(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/(\d{1,2}))?$/.exec(s);
  return !!m && [1, 2, 3, 4].every((i) => Number(m[i]) <= 255) && (m[6] === undefined || Number(m[6]) <= 32);
}

export async function localAddresses(exec: Exec): Promise<string[]> {
  const r = await exec.run('ip', ['-4', '-o', 'addr', 'show']);
  if (r.code !== 0) throw new Error(`ip addr show failed: ${r.stderr.trim()}`);
  const out: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = / inet (\d+\.\d+\.\d+\.\d+)\//.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}

/** Local addresses inside any of the CIDRs. */
export async function nodeAddresses(exec: Exec, cidrs: string[]): Promise<string[]> {
  const local = await localAddresses(exec);
  return local.filter((ip) => cidrs.some((c) => inCIDR(ip, c)));
}

/** An IPv6 address or CIDR, checked by node:net (prefix length up to 128). */
export function isIPv6CIDR(s: string): boolean {
  const [ip, bits, extra] = s.split('/');
  return extra === undefined && isIPv6(ip ?? '') && (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= 128));
}
