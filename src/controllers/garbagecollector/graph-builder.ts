import type { KubeObject } from '../../api/types.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import type { HandlerRegistration, Informer } from '../../client/informer.js';
import { metaNamespaceKey } from '../../client/store.js';
import { WorkQueue } from '../../client/workqueue.js';
import { logger } from '../../util/log.js';
import { gvrString, type DiscoveredResource } from '../discovery.js';
import { AbsentOwners, diffOwners, Graph, GraphNode, type Identity } from './graph.js';

// Upstream's GraphBuilder: one informer ("monitor") per deletable resource
// feeds the dependency graph. Handlers only queue "resource + key"; a single
// loop applies each change to the graph by reading the informer's cache, so
// the graph follows what the caches hold, never a stale event payload. Graph
// changes that may let the collector act (an owner vanished, a foreground or
// orphan deletion began) put nodes on the collector's queues.

const log = logger('garbage-collector-controller');

export const FINALIZER_ORPHAN = 'orphan';
export const FINALIZER_FOREGROUND = 'foregroundDeletion';

export interface CollectorQueues {
  attemptToDelete(node: GraphNode): void;
  attemptToOrphan(node: GraphNode): void;
}

interface Monitor {
  resource: DiscoveredResource;
  informer: Informer<KubeObject>;
  registration: HandlerRegistration;
}

function identityOf(obj: KubeObject): Identity {
  const m = obj.metadata;
  return { apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '', name: m.name ?? '', uid: m.uid ?? '', namespace: m.namespace ?? '' };
}

export class GraphBuilder {
  readonly graph = new Graph();
  readonly absentOwners = new AbsentOwners();
  private readonly monitors = new Map<string, Monitor>();
  /** Which uid each monitored "resource|key" held when last processed, to notice deletes and re-creations. */
  private readonly slots = new Map<string, string>();
  private readonly changes = new WorkQueue<string>();
  private loop?: Promise<void>;

  constructor(
    private readonly informers: InformerFactory,
    private readonly queues: CollectorQueues,
  ) {}

  /** Starts monitors for resources not yet watched and drops those no longer served. */
  syncMonitors(resources: DiscoveredResource[], opts: { removeMissing: boolean } = { removeMissing: true }): void {
    const want = new Map(resources.map((r) => [gvrString(r), r]));
    for (const [gvr, m] of this.monitors) {
      if (want.has(gvr) || !opts.removeMissing) continue;
      m.registration.remove();
      this.monitors.delete(gvr);
      log.info({ resource: gvr }, 'stopped monitoring resource');
    }
    for (const [gvr, r] of want) {
      if (this.monitors.has(gvr)) continue;
      const informer = this.informers.informerFor(r);
      const enqueue = (obj: KubeObject): void => this.changes.add(`${gvr}\u0000${metaNamespaceKey(obj)}`);
      const registration = informer.addEventHandler({ onAdd: enqueue, onUpdate: (_old, obj) => enqueue(obj), onDelete: enqueue });
      informer.start();
      this.monitors.set(gvr, { resource: r, informer, registration });
    }
  }

  isSynced(): boolean {
    return [...this.monitors.values()].every((m) => m.informer.hasSynced());
  }

  run(): void {
    this.loop ??= (async () => {
      for (;;) {
        const item = await this.changes.get();
        if (item === undefined) return;
        try {
          this.processChange(item);
        } catch (err) {
          log.error({ err, item }, 'failed to process graph change');
        } finally {
          this.changes.done(item);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    for (const m of this.monitors.values()) m.registration.remove();
    this.monitors.clear();
    this.changes.shutDown();
    await this.loop;
  }

  private processChange(item: string): void {
    const sep = item.indexOf('\u0000');
    const gvr = item.slice(0, sep);
    const key = item.slice(sep + 1);
    const obj = this.monitors.get(gvr)?.informer.store.get(key);
    const known = this.slots.get(item);
    if (known && (!obj || obj.metadata.uid !== known)) {
      this.slots.delete(item);
      this.observedDelete(known);
    }
    if (obj?.metadata.uid) {
      this.slots.set(item, obj.metadata.uid);
      this.observedUpsert(obj);
    }
  }

  private observedUpsert(obj: KubeObject): void {
    const uid = obj.metadata.uid!;
    const owners = obj.metadata.ownerReferences ?? [];
    let node = this.graph.get(uid);
    if (!node) {
      node = new GraphNode(identityOf(obj), owners, true);
      for (const v of this.graph.insert(node)) this.queues.attemptToDelete(v);
    } else {
      if (!node.observed) {
        node.observed = true;
        node.identity = identityOf(obj);
      }
      const d = diffOwners(node.owners, owners);
      if (d.added.length || d.removed.length || d.changed.length) {
        // An owner waiting on its dependents may be done once one stops blocking it.
        const unblocked = [...d.removed, ...d.changed.filter((c) => c.old.blockOwnerDeletion && !c.now.blockOwnerDeletion).map((c) => c.now)];
        for (const r of unblocked) {
          const o = this.graph.get(r.uid);
          if (o?.deletingDependents) this.queues.attemptToDelete(o);
        }
        this.graph.unlink(node, d.removed);
        node.owners = owners;
        for (const v of this.graph.link(node, d.added)) this.queues.attemptToDelete(v);
      }
    }
    if (obj.metadata.deletionTimestamp) node.beingDeleted = true;
    this.processTransitions(node, obj);
  }

  private processTransitions(node: GraphNode, obj: KubeObject): void {
    if (!obj.metadata.deletionTimestamp) return;
    const fin = obj.metadata.finalizers ?? [];
    if (fin.includes(FINALIZER_ORPHAN) && !node.orphaning) {
      node.orphaning = true;
      this.queues.attemptToOrphan(node);
    }
    if (fin.includes(FINALIZER_FOREGROUND) && !node.deletingDependents) {
      node.deletingDependents = true;
      for (const dep of node.dependents) this.queues.attemptToDelete(dep);
      this.queues.attemptToDelete(node);
    }
  }

  private observedDelete(uid: string): void {
    const node = this.graph.get(uid);
    if (!node) return;
    this.removeNode(node);
  }

  private removeNode(node: GraphNode): void {
    this.graph.remove(node);
    if (node.dependents.size) this.absentOwners.add(node.identity.uid, node.identity.namespace);
    for (const dep of node.dependents) this.queues.attemptToDelete(dep);
    for (const ref of node.owners) {
      const o = this.graph.get(ref.uid);
      if (o?.deletingDependents) this.queues.attemptToDelete(o);
    }
  }

  /**
   * The collector found the node's object absent (or replaced) on the API
   * server. A node seen through an informer under other coordinates is left
   * for its informer to remove.
   */
  virtualDelete(identity: Identity): void {
    const node = this.graph.get(identity.uid);
    if (!node) return;
    const same = node.identity.apiVersion === identity.apiVersion && node.identity.kind === identity.kind && node.identity.name === identity.name && node.identity.namespace === identity.namespace;
    if (node.observed && !same) return;
    this.removeNode(node);
  }
}
