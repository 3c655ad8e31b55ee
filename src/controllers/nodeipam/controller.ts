import type { KubeObject } from '../../api/types.js';
import { isNotFound } from '../../client/status.js';
import { logger } from '../../util/log.js';
import { NODES } from '../core-resources.js';
import { KeyWorker } from '../shared/worker.js';
import { DEFAULT_EXTRA } from '../options.js';
import type { ControllerContext, ControllerDescriptor, ControllerManagerOptions, RunningController } from '../types.js';
import { CidrSet, CidrSetFullError } from './cidrset.js';

// Upstream's node-ipam-controller with the RangeAllocator (--allocate-node-cidrs,
// --cluster-cidr, --node-cidr-mask-size): every Node without spec.podCIDRs gets
// the next free subnet of the cluster CIDR, patched in once; subnets come back
// when their Node is deleted. The set of taken subnets lives only in memory and
// is rebuilt from the Nodes' podCIDRs before the first allocation, so a restart
// never hands out a subnet a node already holds. One worker: allocations are
// serial, so two nodes can never race for one subnet.

const log = logger('node-ipam-controller');

interface IpamNode extends KubeObject {
  spec?: { podCIDR?: string; podCIDRs?: string[] };
}

export interface NodeIpamSettings {
  allocateNodeCidrs: boolean;
  clusterCidr: string;
  nodeCidrMaskSize: number;
}

export const NODE_IPAM_DEFAULTS: Readonly<Record<string, string>> = {
  'allocate-node-cidrs': DEFAULT_EXTRA['allocate-node-cidrs']!,
  'cluster-cidr': '',
  'node-cidr-mask-size': DEFAULT_EXTRA['node-cidr-mask-size']!,
};

export function nodeIpamSettings(o: ControllerManagerOptions): NodeIpamSettings {
  const get = (k: string): string => o.extra[k] ?? NODE_IPAM_DEFAULTS[k]!;
  return { allocateNodeCidrs: get('allocate-node-cidrs') === 'true', clusterCidr: get('cluster-cidr'), nodeCidrMaskSize: Number(get('node-cidr-mask-size')) };
}

const cidrsOf = (n: IpamNode): string[] => n.spec?.podCIDRs?.length ? n.spec.podCIDRs : n.spec?.podCIDR ? [n.spec.podCIDR] : [];

export async function startNodeIpamController(ctx: ControllerContext): Promise<RunningController> {
  const s = nodeIpamSettings(ctx.options);
  if (!s.allocateNodeCidrs) {
    log.info('--allocate-node-cidrs is false: nodes keep the podCIDR their kubelet registers');
    return { stop: async () => undefined };
  }
  if (!s.clusterCidr) throw new Error('--allocate-node-cidrs needs --cluster-cidr');
  const set = new CidrSet(s.clusterCidr, s.nodeCidrMaskSize);
  const nodes = ctx.informers.informerFor<IpamNode>(NODES);
  const recorder = ctx.recorder('cidrAllocator');
  /** Subnet → the node holding it; a subnet freed only by its holder's deletion. */
  const owner = new Map<string, string>();
  /** Node → subnet we patched in, until the informer shows it (a stale copy must not get a second one). */
  const assigned = new Map<string, string>();
  let occupied = false;

  const occupy = (n: IpamNode): boolean => {
    const name = n.metadata.name!;
    for (const c of cidrsOf(n)) {
      if (c.includes(':')) continue;
      try {
        const holder = owner.get(c);
        if (holder && holder !== name) {
          log.error({ node: name, podCIDR: c, holder }, 'node claims a podCIDR another node already holds');
          continue;
        }
        set.occupy(c);
        owner.set(c, name);
      } catch (err) {
        log.error({ node: name, podCIDR: c, err: (err as Error).message }, 'node podCIDR outside the cluster CIDR; not tracked');
      }
    }
    return cidrsOf(n).length > 0;
  };

  const release = (n: IpamNode): void => {
    const name = n.metadata.name!;
    const mine = new Set([...cidrsOf(n), ...(assigned.has(name) ? [assigned.get(name)!] : [])]);
    assigned.delete(name);
    for (const c of mine) {
      if (owner.get(c) !== name) continue;
      owner.delete(c);
      set.release(c);
      log.info({ node: name, podCIDR: c }, 'released podCIDR of deleted node');
    }
  };

  const sync = async (name: string): Promise<void> => {
    if (!occupied) {
      // Before the first allocation: every subnet some node already holds is taken.
      for (const n of nodes.store.list()) occupy(n);
      occupied = true;
    }
    const node = nodes.store.get(name);
    if (!node) return;
    if (occupy(node)) {
      assigned.delete(name);
      return;
    }
    let cidr = assigned.get(name);
    if (!cidr) {
      try {
        cidr = set.allocateNext();
      } catch (err) {
        if (err instanceof CidrSetFullError) {
          recorder.event({ kind: 'Node', name, uid: node.metadata.uid ?? name, namespace: '' }, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
          log.error({ node: name, clusterCIDR: s.clusterCidr }, 'failed to allocate a podCIDR: the cluster CIDR is full');
        }
        throw err;
      }
      owner.set(cidr, name);
      assigned.set(name, cidr);
    }
    try {
      await ctx.client.patch(NODES, undefined, name, 'strategic', { metadata: { uid: node.metadata.uid }, spec: { podCIDR: cidr, podCIDRs: [cidr] } });
      log.info({ node: name, podCIDR: cidr }, 'set node podCIDR');
    } catch (err) {
      if (isNotFound(err)) {
        release({ metadata: { name } });
        return;
      }
      recorder.event({ kind: 'Node', name, uid: node.metadata.uid ?? name, namespace: '' }, 'Warning', 'CIDRAssignmentFailed', `Node ${name} status is now: CIDRAssignmentFailed`);
      throw err;
    }
  };

  const worker = new KeyWorker({ name: 'node-ipam-controller', workers: 1, sync });
  const reg = nodes.addEventHandler({
    onAdd: (n) => worker.add(n.metadata.name!),
    onUpdate: (_o, n) => {
      if (!cidrsOf(n).length || assigned.has(n.metadata.name!)) worker.add(n.metadata.name!);
    },
    onDelete: (n) => {
      release(n);
      // A node waiting for a subnet may get the one just freed.
      for (const other of nodes.store.list()) if (!cidrsOf(other).length) worker.add(other.metadata.name!);
    },
  });
  worker.run([nodes]);
  log.info({ clusterCIDR: s.clusterCidr, nodeCIDRMaskSize: s.nodeCidrMaskSize, subnets: set.count }, 'allocating node podCIDRs');
  return {
    async stop() {
      reg.remove();
      await worker.stop();
    },
  };
}

export const nodeIpamController: ControllerDescriptor = { name: 'nodeipam', start: startNodeIpamController };
