import { ROUTE_PROTOCOL, type Backend, type Peer } from './types.js';
import { run, runOk } from './ip.js';
import type { Logger } from '../util/log.js';

// flannel's host-gw: every other node's podCIDR is routed through that
// node's InternalIP, which must be on a link this host shares. No
// encapsulation: the packets carry pod addresses end to end.

export class HostGwBackend implements Backend {
  readonly name = 'host-gw' as const;

  constructor(private readonly log: Logger) {}

  async add(peer: Peer): Promise<void> {
    await runOk('ip', ['-4', 'route', 'replace', peer.podCIDR, 'via', peer.ip, 'proto', ROUTE_PROTOCOL]);
    this.log.info({ node: peer.name, podCIDR: peer.podCIDR, via: peer.ip }, 'host-gw: route to node pods');
  }

  async remove(peer: Peer): Promise<void> {
    const r = await run('ip', ['-4', 'route', 'del', peer.podCIDR, 'proto', ROUTE_PROTOCOL]);
    if (r.code === 0) this.log.info({ node: peer.name, podCIDR: peer.podCIDR }, 'host-gw: removed route');
  }

  async cleanup(): Promise<void> {
    await removeOwnRoutes();
  }
}

/** Every route the pod network added (host-gw's and vxlan's carry ROUTE_PROTOCOL), whichever run added it; how many there were. */
export async function removeOwnRoutes(): Promise<number> {
  const listed = await run('ip', ['-4', '-j', 'route', 'show', 'proto', ROUTE_PROTOCOL]);
  const count = listed.code === 0 ? (JSON.parse(listed.stdout || '[]') as unknown[]).length : 0;
  await run('ip', ['-4', 'route', 'flush', 'proto', ROUTE_PROTOCOL]);
  return count;
}
