import type { OwnerReference } from '../../api/types.js';

// The garbage collector's dependency graph, as upstream's uidToNode: one
// node per object uid, edges from owners to dependents. An owner referenced
// before it has been observed (or that does not exist) is a "virtual" node
// whose coordinates come from the ownerReference and the dependent's
// namespace; the collector verifies virtual nodes against the API server.

export interface Identity {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  /** The object's namespace; for virtual nodes, the dependent's (cluster-scoped owners ignore it). */
  namespace: string;
}

export class GraphNode {
  readonly dependents = new Set<GraphNode>();
  owners: OwnerReference[];
  /** Seen through an informer (false: created from someone's ownerReference). */
  observed: boolean;
  beingDeleted = false;
  /** Deleting with the foregroundDeletion finalizer: dependents go first. */
  deletingDependents = false;
  /** Queued for orphaning because it carries the orphan finalizer. */
  orphaning = false;

  constructor(
    public identity: Identity,
    owners: OwnerReference[],
    observed: boolean,
  ) {
    this.owners = owners;
    this.observed = observed;
  }

  /** Dependents whose reference to this node has blockOwnerDeletion: foreground deletion waits for them. */
  blockingDependents(): GraphNode[] {
    const out: GraphNode[] = [];
    for (const dep of this.dependents) {
      if (dep.owners.some((r) => r.uid === this.identity.uid && r.blockOwnerDeletion === true)) out.push(dep);
    }
    return out;
  }
}

export interface OwnerDiff {
  added: OwnerReference[];
  removed: OwnerReference[];
  /** References whose blockOwnerDeletion changed. */
  changed: { old: OwnerReference; now: OwnerReference }[];
}

export function diffOwners(old: OwnerReference[], now: OwnerReference[]): OwnerDiff {
  const oldBy = new Map(old.map((r) => [r.uid, r]));
  const nowBy = new Map(now.map((r) => [r.uid, r]));
  const diff: OwnerDiff = { added: [], removed: [], changed: [] };
  for (const r of now) {
    const o = oldBy.get(r.uid);
    if (!o) diff.added.push(r);
    else if ((o.blockOwnerDeletion ?? false) !== (r.blockOwnerDeletion ?? false)) diff.changed.push({ old: o, now: r });
  }
  for (const r of old) if (!nowBy.has(r.uid)) diff.removed.push(r);
  return diff;
}

export class Graph {
  private readonly nodes = new Map<string, GraphNode>();

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  size(): number {
    return this.nodes.size;
  }

  all(): IterableIterator<GraphNode> {
    return this.nodes.values();
  }

  /**
   * Adds the node and links it under its owners; owners not in the graph
   * become virtual nodes, returned so the caller can have them verified.
   */
  insert(node: GraphNode): GraphNode[] {
    this.nodes.set(node.identity.uid, node);
    return this.link(node, node.owners);
  }

  link(node: GraphNode, owners: OwnerReference[]): GraphNode[] {
    const created: GraphNode[] = [];
    for (const ref of owners) {
      let owner = this.nodes.get(ref.uid);
      if (!owner) {
        owner = new GraphNode({ apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, namespace: node.identity.namespace }, [], false);
        this.nodes.set(ref.uid, owner);
        created.push(owner);
      }
      owner.dependents.add(node);
    }
    return created;
  }

  unlink(node: GraphNode, owners: OwnerReference[]): void {
    for (const ref of owners) this.nodes.get(ref.uid)?.dependents.delete(node);
  }

  /** Removes the node and its edges from its owners. Its dependents keep pointing at the uid. */
  remove(node: GraphNode): void {
    this.nodes.delete(node.identity.uid);
    this.unlink(node, node.owners);
  }
}

/** A bounded set of owner coordinates known to be gone, as upstream's absentOwnerCache (LRU). */
export class AbsentOwners {
  private readonly keys = new Map<string, true>();

  constructor(private readonly max = 500) {}

  private static key(uid: string, namespace: string): string {
    return `${uid}|${namespace}`;
  }

  add(uid: string, namespace: string): void {
    const k = AbsentOwners.key(uid, namespace);
    this.keys.delete(k);
    this.keys.set(k, true);
    if (this.keys.size > this.max) this.keys.delete(this.keys.keys().next().value as string);
  }

  has(uid: string, namespace: string): boolean {
    const k = AbsentOwners.key(uid, namespace);
    if (!this.keys.has(k)) return false;
    this.keys.delete(k);
    this.keys.set(k, true);
    return true;
  }
}
