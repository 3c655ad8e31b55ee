// The seam between the pod network agent and its backends: the agent keeps
// the set of remote nodes from a Node informer and asks a backend to make
// each one's podCIDR reachable; a backend only touches the kernel, through
// iproute2, and can take back all it did even after a crash (everything it
// makes carries a mark: a route protocol, a device name).

export interface Peer {
  name: string;
  /** The node's InternalIP: where its pods' packets go (host-gw) or are tunnelled to (vxlan). */
  ip: string;
  podCIDR: string;
}

export interface LocalNode {
  name: string;
  ip: string;
  podCIDR: string;
}

export interface Backend {
  readonly name: 'host-gw' | 'vxlan';
  /** Makes the peer's pods reachable (idempotent: called again when anything of the peer changes). */
  add(peer: Peer): Promise<void>;
  /** Takes the peer's routes (and entries) away. */
  remove(peer: Peer): Promise<void>;
  /** Removes every route, entry and device this backend ever made, this process's or an earlier one's. */
  cleanup(): Promise<void>;
}

export type BackendChoice = 'auto' | 'host-gw' | 'vxlan' | 'none';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'host-gw', 'vxlan', 'none'];

/** Routes we add carry this protocol number, so a clean-up finds exactly ours (`ip route show proto 73`). */
export const ROUTE_PROTOCOL = '73';
