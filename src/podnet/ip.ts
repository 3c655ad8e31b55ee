import { readFile, writeFile } from 'node:fs/promises';
import { run, runOk } from '../runtime/exec/run.js';
import type { Logger } from '../util/log.js';

// Small iproute2 helpers shared by the backends.

export { run, runOk };

export interface RouteGet {
  dst: string;
  gateway?: string;
  dev?: string;
  prefsrc?: string;
}

/** How this host reaches an address (`ip route get`): a gateway in the answer means the address is not on a shared link. */
export async function routeTo(ip: string): Promise<RouteGet | undefined> {
  const r = await run('ip', ['-4', '-j', 'route', 'get', ip]);
  if (r.code !== 0) return undefined;
  return (JSON.parse(r.stdout || '[]') as RouteGet[])[0];
}

/** The first address of a CIDR (10.244.3.0/24 → 10.244.3.0). */
export function networkAddress(cidr: string): string {
  return cidr.split('/')[0]!;
}

/** Routing between the pod bridge and other nodes needs forwarding on (a new network namespace has it off). */
export async function ensureForwarding(log: Logger): Promise<void> {
  const key = '/proc/sys/net/ipv4/ip_forward';
  try {
    if ((await readFile(key, 'utf8')).trim() === '1') return;
    await writeFile(key, '1');
    log.info('set net.ipv4.ip_forward=1: pods on other nodes are reached through this host');
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'cannot turn on IPv4 forwarding: pods on other nodes will not be reachable');
  }
}

/** The interface holding an address of this host (the VXLAN device sends from it). */
export async function deviceWithAddress(ip: string): Promise<string | undefined> {
  const r = await run('ip', ['-4', '-j', 'addr', 'show']);
  if (r.code !== 0) return undefined;
  for (const link of JSON.parse(r.stdout || '[]') as { ifname: string; addr_info?: { local?: string }[] }[]) {
    if (link.addr_info?.some((a) => a.local === ip)) return link.ifname;
  }
  return undefined;
}

/** A link's MTU. */
export async function deviceMtu(dev: string | undefined): Promise<number | undefined> {
  if (!dev) return undefined;
  const r = await run('ip', ['-j', 'link', 'show', 'dev', dev]);
  if (r.code !== 0) return undefined;
  return (JSON.parse(r.stdout) as { mtu?: number }[])[0]?.mtu;
}
