import type { Command } from 'commander';
import type { RestClient } from '../client/rest.js';
import type { ContainerRuntime } from '../runtime/interface.js';
import type { RunningPodNetwork } from '../podnet/agent.js';
import { BACKEND_CHOICES, type BackendChoice } from '../podnet/types.js';
import { progress } from './progress.js';

// The pod network beside a kubelet of the exec runtime (k3s's embedded
// flannel, with its flag name): `auto` routes directly to nodes on a shared
// subnet (host-gw) and tunnels to the others (vxlan). It reads every Node,
// which a kubelet may not (the Node authorizer lets it read its own only):
// it runs with credentials allowed to list and watch Nodes, kube-proxy's
// (system:node-proxier) in `k8ts server`, as k3s gives its flannel its own.

export function addPodNetworkFlags(cmd: Command): Command {
  return cmd.option('--flannel-backend <kind>', 'pod network between nodes (exec runtime): auto (host-gw to nodes on a shared subnet, vxlan to the others), host-gw, vxlan or none', 'auto');
}

export function backendChoice(v: string | undefined): BackendChoice {
  const b = (v ?? 'auto') as BackendChoice;
  if (!BACKEND_CHOICES.includes(b)) throw new Error(`--flannel-backend must be one of ${BACKEND_CHOICES.join(', ')}, not ${v}`);
  return b;
}

/** Runs the pod network agent for an exec-runtime kubelet: the runtime gets the Node's podCIDR from it, and routes go to every other node. */
export async function startNodePodNetwork(k: { runtime: ContainerRuntime; nodeName: string }, nodesClient: RestClient, nodeIP: string, backend: BackendChoice, clusterCIDR?: string): Promise<RunningPodNetwork> {
  // Imported here: `k8ts server --disable-agent` defines this module's flag but runs no pod network.
  const { startPodNetwork } = await import('../podnet/agent.js');
  const net = await startPodNetwork({
    client: nodesClient,
    nodeName: k.nodeName,
    nodeIP,
    backend,
    clusterCIDR,
    onLocalPodCIDR: (cidr) => k.runtime.updatePodCIDR?.(cidr),
  });
  progress(`pod network: --flannel-backend ${backend} on ${nodeIP}`);
  return net;
}
