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
 * the new status ignores). The status is kept as JSON text with the node's
 * name and address taken out, interned: idle nodes registered in the same
 * second report the same text but for those two, so thousands of nodes
 * share a few dozen texts instead of ~1.5 KB each, and a tick parses only
 * its own node's.
 */
type CachedNode = Node & { statusTemplate?: string; address?: string };

/** Not valid unescaped inside JSON text, so never part of a real status. */
const NAME = '\u0001';
const ADDRESS = '\u0002';
/** Distinct texts kept for sharing at most; past it sharing starts over (entries keep theirs). */
const MAX_TEMPLATES = 10_000;

export class HollowNodeCache {
  private readonly informer: Informer<CachedNode>;
  private readonly templates = new Map<string, string>();

  constructor(client: RestClient, labelSelector: string) {
    this.informer = new Informer<CachedNode>(client, NODES, { labelSelector, transform: (n) => this.keep(n) });
  }

  private keep(n: Node): CachedNode {
    const st = n.status;
    const name = n.metadata.name ?? '';
    const spec = n.spec?.podCIDRs?.length || n.spec?.podCIDR ? { podCIDR: n.spec.podCIDR, podCIDRs: n.spec.podCIDRs } : {};
    const kept: CachedNode = { apiVersion: n.apiVersion, kind: n.kind, metadata: { name, uid: n.metadata.uid, resourceVersion: n.metadata.resourceVersion }, spec };
    if (!st) return kept;
    const status: NodeStatus = {
      ...st,
      images: undefined,
      volumesInUse: undefined,
      volumesAttached: undefined,
      conditions: st.conditions?.map(({ lastHeartbeatTime: _heartbeat, ...c }) => c),
    };
    const address = st.addresses?.find((a) => a.type === 'InternalIP')?.address;
    let text = JSON.stringify(status).split(JSON.stringify(name)).join(`"${NAME}"`);
    if (address) text = text.split(JSON.stringify(address)).join(`"${ADDRESS}"`);
    let shared = this.templates.get(text);
    if (shared === undefined) {
      if (this.templates.size >= MAX_TEMPLATES) this.templates.clear();
      this.templates.set(text, (shared = text));
    }
    return { ...kept, statusTemplate: shared, ...(address ? { address } : {}) };
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
    if (!n?.statusTemplate) return undefined;
    const { statusTemplate, address, ...node } = n;
    let text = statusTemplate.split(`"${NAME}"`).join(JSON.stringify(name));
    if (address) text = text.split(`"${ADDRESS}"`).join(JSON.stringify(address));
    return { ...node, status: JSON.parse(text) as NodeStatus };
  }
}
