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
    await run('ip', ['-4', 'route', 'flush', 'proto', ROUTE_PROTOCOL]);
  }
}
