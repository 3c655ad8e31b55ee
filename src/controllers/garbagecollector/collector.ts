import type { KubeObject, OwnerReference } from '../../api/types.js';
import type { RestClient } from '../../client/rest.js';
import { isNotFound } from '../../client/status.js';
import { StatusError } from '../../api/errors.js';
import { logger } from '../../util/log.js';
import type { RestMapper } from './rest-mapper.js';
import { FINALIZER_FOREGROUND, FINALIZER_ORPHAN, type GraphBuilder } from './graph-builder.js';
import type { GraphNode, Identity } from './graph.js';

// The decisions of upstream's GarbageCollector, one graph node at a time.
// Nothing is deleted on the graph's word alone: the item is re-read from the
// API server, and every owner it references is checked by a live GET whose
// uid must match; deletes carry a uid precondition so a re-created object of
// the same name is never touched.

const log = logger('garbage-collector-controller');

/** Thrown to requeue a virtual node until an informer has observed it (upstream issue 56121). */
export class NotYetObservedError extends Error {}

/** Owner references sorted by what the owner's state means for the dependent. */
export interface Classified {
  solid: OwnerReference[];
  dangling: OwnerReference[];
  waitingForDependentsDeletion: OwnerReference[];
}

export type DeletePolicy = 'Orphan' | 'Foreground' | 'Background';

/** Upstream's decision once owners are classified: what to do with the item. */
export function decide(
  c: Classified,
  item: { hasDependents: boolean; finalizers: string[] },
): { action: 'none' } | { action: 'removeOwnerRefs'; uids: string[] } | { action: 'delete'; policy: DeletePolicy } {
  if (c.solid.length) {
    if (!c.dangling.length && !c.waitingForDependentsDeletion.length) return { action: 'none' };
    // A reference to a foreground-deleting owner would keep that owner waiting forever.
    return { action: 'removeOwnerRefs', uids: [...c.dangling, ...c.waitingForDependentsDeletion].map((r) => r.uid) };
  }
  if (c.waitingForDependentsDeletion.length && item.hasDependents) return { action: 'delete', policy: 'Foreground' };
  const policy: DeletePolicy = item.finalizers.includes(FINALIZER_ORPHAN) ? 'Orphan' : item.finalizers.includes(FINALIZER_FOREGROUND) ? 'Foreground' : 'Background';
  return { action: 'delete', policy };
}

export class Collector {
  constructor(
    private readonly client: RestClient,
    private readonly mapper: RestMapper,
    private readonly builder: GraphBuilder,
    private readonly requeue: { attemptToDelete(node: GraphNode): void },
  ) {}

  private locate(id: Identity): { ref: ReturnType<RestMapper['resourceFor']>; namespace: string | undefined } {
    const ref = this.mapper.resourceFor(id.apiVersion, id.kind);
    return { ref, namespace: ref.namespaced ? id.namespace : undefined };
  }

  private async getObject(id: Identity): Promise<KubeObject> {
    const { ref, namespace } = this.locate(id);
    return this.client.get(ref, namespace, id.name);
  }

  async attemptToDelete(uid: string): Promise<void> {
    const item = this.builder.graph.get(uid);
    if (!item) return;
    // Being deleted is a one-way trip: wait for the final deletion, which queues the dependents.
    if (item.beingDeleted && !item.deletingDependents) return;
    let latest: KubeObject;
    try {
      latest = await this.getObject(item.identity);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.builder.virtualDelete(item.identity);
      return;
    }
    if (latest.metadata.uid !== item.identity.uid) {
      this.builder.virtualDelete(item.identity);
      return;
    }
    if (item.deletingDependents) return this.processDeletingDependents(item);
    const refs = latest.metadata.ownerReferences ?? [];
    if (refs.length) {
      const c = await this.classify(item, refs);
      if (!c) return;
      const d = decide(c, { hasDependents: item.dependents.size > 0, finalizers: latest.metadata.finalizers ?? [] });
      if (d.action === 'removeOwnerRefs') {
        log.info({ item: item.identity, owners: d.uids }, 'removing dangling owner references');
        await this.patchOwnerRefs(item.identity, (r) => (d.uids.includes(r.uid) ? undefined : r));
      } else if (d.action === 'delete') {
        if (d.policy === 'Foreground' && c.waitingForDependentsDeletion.length && [...item.dependents].some((dep) => dep.deletingDependents)) {
          // A dependent is itself waiting on us: unblock our references first so the cycle cannot deadlock.
          await this.patchOwnerRefs(item.identity, (r) => (r.blockOwnerDeletion ? { ...r, blockOwnerDeletion: false } : r));
        }
        log.info({ item: item.identity, propagationPolicy: d.policy }, 'deleting object whose owners are gone');
        await this.deleteObject(item.identity, d.policy);
      }
    }
    if (!item.observed) throw new NotYetObservedError(`${item.identity.kind} ${item.identity.namespace}/${item.identity.name} not yet observed`);
  }

  /** undefined when the item can never be resolved (a cluster-scoped object naming a namespaced owner). */
  private async classify(item: GraphNode, refs: OwnerReference[]): Promise<Classified | undefined> {
    const c: Classified = { solid: [], dangling: [], waitingForDependentsDeletion: [] };
    for (const ref of refs) {
      if (this.builder.absentOwners.has(ref.uid, '') || this.builder.absentOwners.has(ref.uid, item.identity.namespace)) {
        c.dangling.push(ref);
        continue;
      }
      const r = this.mapper.resourceFor(ref.apiVersion, ref.kind);
      if (!item.identity.namespace && r.namespaced) {
        log.warn({ item: item.identity, owner: ref }, 'cluster-scoped object refers to a namespaced owner; ignoring');
        return undefined;
      }
      const ns = r.namespaced ? item.identity.namespace : '';
      let owner: KubeObject;
      try {
        owner = await this.client.get(r, ns || undefined, ref.name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.builder.absentOwners.add(ref.uid, ns);
        c.dangling.push(ref);
        continue;
      }
      if (owner.metadata.uid !== ref.uid) {
        this.builder.absentOwners.add(ref.uid, ns);
        c.dangling.push(ref);
      } else if (owner.metadata.deletionTimestamp && (owner.metadata.finalizers ?? []).includes(FINALIZER_FOREGROUND)) {
        c.waitingForDependentsDeletion.push(ref);
      } else {
        c.solid.push(ref);
      }
    }
    return c;
  }

  private async processDeletingDependents(item: GraphNode): Promise<void> {
    const blocking = item.blockingDependents();
    if (!blocking.length) {
      await this.removeFinalizer(item.identity, FINALIZER_FOREGROUND);
      return;
    }
    for (const dep of blocking) if (!dep.deletingDependents) this.requeue.attemptToDelete(dep);
  }

  async attemptToOrphan(uid: string): Promise<void> {
    const owner = this.builder.graph.get(uid);
    if (!owner) return;
    for (const dep of [...owner.dependents]) await this.patchOwnerRefs(dep.identity, (r) => (r.uid === uid ? undefined : r));
    await this.removeFinalizer(owner.identity, FINALIZER_ORPHAN);
  }

  private async deleteObject(id: Identity, policy: DeletePolicy): Promise<void> {
    const { ref, namespace } = this.locate(id);
    try {
      await this.client.delete(ref, namespace, id.name, { propagationPolicy: policy, preconditions: { uid: id.uid } });
    } catch (err) {
      // Gone already, or replaced by a new object of the same name (uid precondition failed).
      if (isNotFound(err) || (err instanceof StatusError && err.code === 409)) return;
      throw err;
    }
  }

  /** Rewrites the object's ownerReferences with `map` (undefined drops one), guarded by resourceVersion and uid. */
  private async patchOwnerRefs(id: Identity, map: (r: OwnerReference) => OwnerReference | undefined): Promise<void> {
    await this.patchLive(id, (obj) => {
      const before = obj.metadata.ownerReferences ?? [];
      const after = before.map(map).filter((r): r is OwnerReference => r !== undefined);
      if (JSON.stringify(before) === JSON.stringify(after)) return undefined;
      return { ownerReferences: after.length ? after : null };
    });
  }

  private async removeFinalizer(id: Identity, finalizer: string): Promise<void> {
    await this.patchLive(id, (obj) => {
      const fin = obj.metadata.finalizers ?? [];
      return fin.includes(finalizer) ? { finalizers: fin.filter((f) => f !== finalizer) } : undefined;
    });
  }

  /**
   * Merge-patches the metadata that `change` returns for the live object
   * (nothing when it returns undefined), guarded by its uid and resourceVersion
   * so a concurrent change or a new object of the same name fails the patch
   * instead of being overwritten. An object already gone needs nothing.
   */
  private async patchLive(id: Identity, change: (obj: KubeObject) => Record<string, unknown> | undefined): Promise<void> {
    let obj: KubeObject;
    try {
      obj = await this.getObject(id);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (obj.metadata.uid !== id.uid) return;
    const metadata = change(obj);
    if (!metadata) return;
    const { ref, namespace } = this.locate(id);
    try {
      await this.client.patch(ref, namespace, id.name, 'merge', { metadata: { uid: id.uid, resourceVersion: obj.metadata.resourceVersion, ...metadata } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
