import { Informer } from '../client/informer.js';
import type { RestClient } from '../client/rest.js';
import type { KubeObject } from '../api/types.js';
import { logger, type Logger } from '../util/log.js';
import { HostGwBackend } from './host-gw.js';
import { deviceMtu, deviceWithAddress, ensureForwarding, routeTo } from './ip.js';
import { ForwardRules, forwardChain } from './forward.js';
import { VXLAN_OVERHEAD, VxlanBackend } from './vxlan.js';
import type { Backend, BackendChoice, Peer } from './types.js';

// The pod network agent each node runs beside its kubelet (flannel's
// kube-subnet-mgr mode, in process): it watches Nodes, hands the local
// Node's podCIDR to the runtime, and keeps one route per other node to that
// node's podCIDR through the chosen backend. `auto` picks host-gw for a
// node on a link this host shares and vxlan for one behind a router. A
// reconcile re-applies every route (all idempotent) on each Node change and
// every resync period, so a route someone deleted comes back.

const NODES = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
const RESYNC_MS = 30_000;
const RETRY_MS = 2_000;

interface NetNode extends KubeObject {
  spec?: { podCIDR?: string; podCIDRs?: string[] };
  status?: { addresses?: { type: string; address: string }[] };
}

export interface PodNetworkOptions {
  client: RestClient;
  nodeName: string;
  /** This node's InternalIP: the VXLAN tunnel's local end. */
  nodeIP: string;
  backend: BackendChoice;
  /**
   * The cluster's pod range (--cluster-cidr), accepted in FORWARD; without
   * it, the podCIDR of every node (which all lie in that range).
   */
  clusterCIDR?: string;
  /** Called once the local Node has a podCIDR, and again if it changes. */
  onLocalPodCIDR?(cidr: string): Promise<void> | void;
}

export interface RunningPodNetwork {
  /** Which backend carries traffic to each remote node now. */
  routes(): Map<string, { backend: string; peer: Peer }>;
  /** Stops watching; with cleanup, removes every route and device it made. */
  stop(opts?: { cleanup?: boolean }): Promise<void>;
}

const podCIDROf = (n: NetNode): string | undefined => (n.spec?.podCIDRs ?? []).find((c) => !c.includes(':')) ?? n.spec?.podCIDR;
const internalIP = (n: NetNode): string | undefined => n.status?.addresses?.find((a) => a.type === 'InternalIP' && !a.address.includes(':'))?.address;

export async function startPodNetwork(o: PodNetworkOptions): Promise<RunningPodNetwork> {
  const log: Logger = logger('podnet').child({ node: o.nodeName, backend: o.backend });
  const informer = new Informer<NetNode>(o.client, NODES);
  const hostGw = new HostGwBackend(log);
  const forward = new ForwardRules(forwardChain(o.nodeName), log);
  let vxlan: VxlanBackend | undefined;
  let localCIDR: string | undefined;
  const programmed = new Map<string, { backend: Backend; peer: Peer }>();
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const backendFor = async (peer: Peer): Promise<Backend | undefined> => {
    let kind = o.backend;
    if (kind === 'auto') kind = (await routeTo(peer.ip))?.gateway ? 'vxlan' : 'host-gw';
    if (kind === 'host-gw') return hostGw;
    if (kind !== 'vxlan') return undefined;
    // The VXLAN device's address and MAC come from the local podCIDR: wait for it.
    if (!localCIDR) return undefined;
    if (vxlan && vxlan.local.podCIDR !== localCIDR) {
      await vxlan.cleanup();
      vxlan = undefined;
    }
    vxlan ??= new VxlanBackend({ name: o.nodeName, ip: o.nodeIP, podCIDR: localCIDR }, log);
    return vxlan;
  };

  const reconcile = async (): Promise<void> => {
    const nodes = informer.store.list();
    const self = nodes.find((n) => n.metadata.name === o.nodeName);
    const cidr = self && podCIDROf(self);
    if (cidr && cidr !== localCIDR) {
      localCIDR = cidr;
      log.info({ podCIDR: cidr }, 'local node podCIDR');
      await o.onLocalPodCIDR?.(cidr);
    }
    const want = new Map<string, Peer>();
    for (const n of nodes) {
      const name = n.metadata.name!;
      const ip = internalIP(n);
      const podCIDR = podCIDROf(n);
      if (name === o.nodeName || !ip || !podCIDR) continue;
      want.set(name, { name, ip, podCIDR });
    }
    let failed = false;
    for (const [name, had] of programmed) {
      const w = want.get(name);
      if (w && w.ip === had.peer.ip && w.podCIDR === had.peer.podCIDR) continue;
      await had.backend.remove(had.peer).catch((err: Error) => log.warn({ peer: name, err: err.message }, 'removing route failed'));
      programmed.delete(name);
    }
    // A lone node forwards nothing between hosts: no sysctl, no rules until a peer exists.
    if (want.size && o.backend !== 'none') {
      await ensureForwarding(log);
      const ranges = o.clusterCIDR ? [o.clusterCIDR] : [...(localCIDR ? [localCIDR] : []), ...[...want.values()].map((p) => p.podCIDR)];
      try {
        await forward.sync(ranges);
      } catch (err) {
        failed = true;
        log.warn({ err: (err as Error).message }, 'FORWARD rules not written; will retry');
      }
    }
    for (const peer of want.values()) {
      try {
        const b = await backendFor(peer);
        if (!b) continue;
        const had = programmed.get(peer.name);
        if (had && had.backend !== b) await had.backend.remove(had.peer);
        await b.add(peer);
        programmed.set(peer.name, { backend: b, peer });
      } catch (err) {
        failed = true;
        log.warn({ peer: peer.name, err: (err as Error).message }, 'programming route failed; will retry');
      }
    }
    if (failed && !stopped) {
      clearTimeout(retry);
      retry = setTimeout(kick, RETRY_MS);
    }
  };

  // One reconcile at a time; changes during one make exactly one more.
  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = reconcile()
      .catch((err: unknown) => log.error({ err: (err as Error).message }, 'pod network reconcile failed'))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          kick();
        }
      });
  }

  if (o.backend !== 'none' || o.onLocalPodCIDR) {
    informer.addEventHandler({ onAdd: kick, onUpdate: (a, b) => (podCIDROf(a) !== podCIDROf(b) || internalIP(a) !== internalIP(b)) && kick(), onDelete: kick });
    informer.start();
  }
  const resync = setInterval(kick, RESYNC_MS);
  resync.unref();
  if (o.backend === 'none') log.info('--flannel-backend none: no routes to other nodes\' pods are programmed');

  return {
    routes: () => new Map([...programmed].map(([n, p]) => [n, { backend: p.backend.name, peer: p.peer }])),
    async stop(opts = {}) {
      stopped = true;
      clearInterval(resync);
      clearTimeout(retry);
      await informer.stop();
      await running;
      if (opts.cleanup) {
        // Only what this agent made: another cluster's agent may share this host's routing table.
        for (const { backend, peer } of programmed.values()) await backend.remove(peer).catch(() => undefined);
        programmed.clear();
        await vxlan?.cleanup();
        await forward.cleanup();
        log.info('removed the pod network routes and devices');
      }
    },
  };
}

/**
 * The MTU pods get: with VXLAN possible (vxlan, or auto, which may tunnel to
 * any node that joins later), the tunnel's (the node's link less 50 bytes of
 * headers), as flannel's FLANNEL_MTU; otherwise the link's own (undefined).
 */
export async function podMtu(backend: BackendChoice, nodeIP: string): Promise<number | undefined> {
  if (backend !== 'vxlan' && backend !== 'auto') return undefined;
  const dev = await deviceWithAddress(nodeIP);
  const mtu = dev && dev !== 'lo' ? await deviceMtu(dev) : undefined;
  return mtu ? mtu - VXLAN_OVERHEAD : undefined;
}
