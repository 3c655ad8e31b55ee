import type { Logger } from '../util/log.js';
import { ForwardRules, forwardChain } from './forward.js';
import { removeOwnRoutes } from './host-gw.js';
import { removeVxlanDevice } from './vxlan.js';

// What a node's pod network agent leaves on its host when it does not stop
// cleanly (a crash, SIGKILL, a host that is being wiped): the routes to the
// other nodes' pods, the VXLAN device and the FORWARD chain. Everything it
// makes carries a mark (route protocol, device name, chain named after the
// node), so all of it is found again without the agent's memory.

export interface PodNetworkRemoval {
  routes: number;
  vxlanDevice: boolean;
  forwardChain: string;
}

export async function removePodNetwork(nodeName: string, log: Logger): Promise<PodNetworkRemoval> {
  const routes = await removeOwnRoutes();
  const vxlanDevice = await removeVxlanDevice(log);
  const forward = new ForwardRules(forwardChain(nodeName), log);
  await forward.cleanup();
  return { routes, vxlanDevice, forwardChain: forward.chain };
}
