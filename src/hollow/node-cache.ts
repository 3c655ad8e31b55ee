// The hollow nodes' own Node objects, from one watch for all of them: an
// idle node's status tick reads its Node here instead of a GET each per
// 10 s (half the fleet's API load at any size). Upstream's kubelet makes
// that first read with resourceVersion=0, served from the API server's
// watch cache, so it already accepts a Node as stale as a watch delivers
// it; a node missing here (not seen yet, deleted) still GETs, and a Node
// deleted under a node is found by that GET as before.
import { Informer } from '../client/informer.js';
import type { RestClient } from '../client/rest.js';
import type { Node, NodeStatus } from '../kubelet/api-types.js';

const NODES = { group: '', version: 'v1', resource: 'nodes', namespaced: false };

/**
 * What the cache keeps of a Node: what a status tick reads (uid, podCIDRs,
 * status without heartbeat times or image lists, which the comparison with
 * the new status ignores), the status as JSON text: at 5,000 nodes its
 * ~1.2 KB of text per node, parsed only for the tick that reads it, cost
 * less than its objects would.
 */
type CachedNode = Node & { statusText?: string };

function keep(n: Node): CachedNode {
  const st = n.status;
  const status: NodeStatus | undefined = st && {
    ...st,
    images: undefined,
    volumesInUse: undefined,
    volumesAttached: undefined,
    conditions: st.conditions?.map(({ lastHeartbeatTime: _heartbeat, ...c }) => c),
  };
  const spec = n.spec?.podCIDRs?.length || n.spec?.podCIDR ? { podCIDR: n.spec.podCIDR, podCIDRs: n.spec.podCIDRs } : {};
  return {
    apiVersion: n.apiVersion,
    kind: n.kind,
    metadata: { name: n.metadata.name, uid: n.metadata.uid, resourceVersion: n.metadata.resourceVersion },
    spec,
    ...(status ? { statusText: JSON.stringify(status) } : {}),
  };
}

export class HollowNodeCache {
  private readonly informer: Informer<CachedNode>;

  constructor(client: RestClient, labelSelector: string) {
    this.informer = new Informer<CachedNode>(client, NODES, { labelSelector, transform: keep });
  }

  start(): void {
    this.informer.start();
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }

  /** Node name's Node as last seen by the watch, with its status; undefined when not seen. */
  get(name: string): Node | undefined {
    const n = this.informer.store.get(name);
    if (!n?.statusText) return undefined;
    const { statusText, ...node } = n;
    return { ...node, status: JSON.parse(statusText) as NodeStatus };
  }
}
