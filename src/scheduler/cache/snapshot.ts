import type { NodeInfo } from '../framework/node-info.js';

// The node state one scheduling cycle works on. The cache refreshes it in
// place before each cycle, copying only the nodes that changed, so the
// filter loop reads plain arrays and never sees a half-applied update.

export class Snapshot {
  readonly map = new Map<string, NodeInfo>();
  list: NodeInfo[] = [];
  havePodsWithAffinity: NodeInfo[] = [];
  havePodsWithRequiredAntiAffinity: NodeInfo[] = [];
  /** Position of each node in `list`, to replace a changed node without a scan. */
  readonly index = new Map<string, number>();

  get(name: string): NodeInfo | undefined {
    return this.map.get(name);
  }

  get numNodes(): number {
    return this.list.length;
  }

  /** Every pod in the snapshot; for the rare plugin that must see all (the cost is the caller's). */
  *allPods(): Generator<NodeInfo['pods'][number]> {
    for (const ni of this.list) yield* ni.pods;
  }
}
