import { ROUTE_PROTOCOL, type Backend, type LocalNode, type Peer } from './types.js';
import { deviceMtu, deviceWithAddress, networkAddress, run, runOk } from './ip.js';
import type { Logger } from '../util/log.js';

// flannel's vxlan backend with the kernel's own VXLAN device: one device per
// host (VNI 1, UDP 8472, learning off) holding the .0 address of the local
// podCIDR; per remote node a route to its podCIDR via its .0 address (onlink
// on the device), a permanent neighbour entry giving that address the
// remote device's MAC, and an FDB entry sending that MAC to the node's
// InternalIP. The MAC is derived from the podCIDR (unique per node, as IPAM
// never hands a subnet out twice), so no node has to publish its own.

export const VXLAN_DEVICE = 'k8ts.1';
export const VXLAN_VNI = 1;
export const VXLAN_PORT = 8472;
/** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14) headers. */
export const VXLAN_OVERHEAD = 50;

/** 0a:58 (locally administered, unicast) followed by the podCIDR's network address. */
export function vtepMac(podCIDR: string): string {
  const octets = networkAddress(podCIDR).split('.').map((o) => Number(o).toString(16).padStart(2, '0'));
  return ['0a', '58', ...octets].join(':');
}

export class VxlanBackend implements Backend {
  readonly name = 'vxlan' as const;
  private ready?: Promise<void>;

  constructor(
    readonly local: LocalNode,
    private readonly log: Logger,
  ) {}

  private ensureDevice(): Promise<void> {
    this.ready ??= this.createDevice().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  private async createDevice(): Promise<void> {
    const via = { dev: await deviceWithAddress(this.local.ip) };
    const mac = vtepMac(this.local.podCIDR);
    const have = await run('ip', ['-j', '-d', 'link', 'show', 'dev', VXLAN_DEVICE]);
    if (have.code === 0) {
      const [link] = JSON.parse(have.stdout) as { address?: string; linkinfo?: { info_data?: { id?: number; local?: string; port?: number } } }[];
      const d = link?.linkinfo?.info_data;
      // A device left by an earlier run with other settings (node IP changed) is made again.
      if (link?.address !== mac || d?.id !== VXLAN_VNI || d?.local !== this.local.ip || d?.port !== VXLAN_PORT) await runOk('ip', ['link', 'del', VXLAN_DEVICE]);
    }
    if ((await run('ip', ['link', 'show', 'dev', VXLAN_DEVICE])).code !== 0) {
      const dev = via?.dev && via.dev !== 'lo' ? ['dev', via.dev] : [];
      await runOk('ip', ['link', 'add', VXLAN_DEVICE, 'type', 'vxlan', 'id', String(VXLAN_VNI), 'local', this.local.ip, ...dev, 'dstport', String(VXLAN_PORT), 'nolearning']);
      await runOk('ip', ['link', 'set', VXLAN_DEVICE, 'address', mac]);
      const mtu = await deviceMtu(via?.dev);
      if (mtu) await runOk('ip', ['link', 'set', VXLAN_DEVICE, 'mtu', String(mtu - VXLAN_OVERHEAD)]);
      this.log.info({ device: VXLAN_DEVICE, vni: VXLAN_VNI, port: VXLAN_PORT, local: this.local.ip, mac }, 'vxlan: created device');
    }
    const addr = `${networkAddress(this.local.podCIDR)}/32`;
    const r = await run('ip', ['addr', 'replace', addr, 'dev', VXLAN_DEVICE]);
    if (r.code !== 0) throw new Error(`ip addr replace ${addr} dev ${VXLAN_DEVICE}: ${r.stderr.trim()}`);
    await runOk('ip', ['link', 'set', VXLAN_DEVICE, 'up']);
  }

  async add(peer: Peer): Promise<void> {
    await this.ensureDevice();
    const gw = networkAddress(peer.podCIDR);
    const mac = vtepMac(peer.podCIDR);
    await runOk('ip', ['neigh', 'replace', gw, 'lladdr', mac, 'dev', VXLAN_DEVICE, 'nud', 'permanent']);
    await runOk('bridge', ['fdb', 'replace', mac, 'dev', VXLAN_DEVICE, 'dst', peer.ip, 'self', 'permanent']);
    await runOk('ip', ['-4', 'route', 'replace', peer.podCIDR, 'via', gw, 'dev', VXLAN_DEVICE, 'onlink', 'proto', ROUTE_PROTOCOL]);
    this.log.info({ node: peer.name, podCIDR: peer.podCIDR, vtep: peer.ip, mac }, 'vxlan: route to node pods');
  }

  async remove(peer: Peer): Promise<void> {
    const gw = networkAddress(peer.podCIDR);
    const mac = vtepMac(peer.podCIDR);
    await run('ip', ['-4', 'route', 'del', peer.podCIDR, 'dev', VXLAN_DEVICE, 'proto', ROUTE_PROTOCOL]);
    await run('ip', ['neigh', 'del', gw, 'dev', VXLAN_DEVICE]);
    await run('bridge', ['fdb', 'del', mac, 'dev', VXLAN_DEVICE, 'dst', peer.ip, 'self']);
    this.log.info({ node: peer.name, podCIDR: peer.podCIDR }, 'vxlan: removed route');
  }

  async cleanup(): Promise<void> {
    this.ready = undefined;
    await removeVxlanDevice(this.log);
  }
}

/** Deletes the VXLAN device if it is there (with it go its routes, neighbour and FDB entries); whether it was. */
export async function removeVxlanDevice(log: Logger): Promise<boolean> {
  const r = await run('ip', ['link', 'del', VXLAN_DEVICE]);
  if (r.code === 0) log.info({ device: VXLAN_DEVICE }, 'vxlan: removed device');
  return r.code === 0;
}
