// The Service registry: the generic store plus cluster IP and node port
// allocation around every write, as upstream's service REST (BeginCreate,
// BeginUpdate, AfterDelete). Allocation runs after validation, just before
// admission and the store write, so admission sees the allocated values;
// a write that fails gives back what it took.

import type { KubeObject } from '../../../api/types.js';
import type { Store } from '../../../storage/interface.js';
import type { ResourceInfo } from '../../../api/scheme/resources.js';
import { ResourceStore, type DeleteParams, type DeleteResult, type WriteParams } from '../resource-store.js';
import type { ServiceAllocators, Txn } from './allocators.js';

export class ServiceStore extends ResourceStore {
  constructor(
    info: ResourceInfo,
    store: Store,
    readonly allocators: ServiceAllocators,
  ) {
    super(info, store);
  }

  override async create(namespace: string | undefined, obj: KubeObject, p: WriteParams = {}): Promise<KubeObject> {
    let txn: Txn | undefined;
    try {
      const out = await super.create(namespace, obj, {
        ...p,
        admit: async (o, old) => {
          txn = await this.allocators.allocateCreate(o, p.dryRun ?? false);
          await p.admit?.(o, old);
        },
      });
      await txn?.commit();
      return out;
    } catch (err) {
      await txn?.revert();
      throw err;
    }
  }

  override async update(
    namespace: string | undefined,
    name: string,
    mutate: (current: KubeObject) => KubeObject | Promise<KubeObject>,
    p: WriteParams & { subresource?: string; createIfMissing?: (() => KubeObject | Promise<KubeObject>) | undefined } = {},
  ): Promise<{ object: KubeObject; created: boolean }> {
    // status writes (a load balancer's address) never touch allocations.
    if (p.subresource !== undefined) return super.update(namespace, name, mutate, p);
    let txn: Txn | undefined;
    try {
      const out = await super.update(namespace, name, mutate, {
        ...p,
        admit: async (next, old) => {
          // A conflict retries the whole read-modify-write: undo the previous attempt's allocations first.
          await txn?.revert();
          txn = undefined;
          if (old) txn = await this.allocators.allocateUpdate(next, old, p.dryRun ?? false);
          await p.admit?.(next, old);
        },
      });
      await txn?.commit();
      const m = out.object.metadata;
      if (!p.dryRun && m.deletionTimestamp && !m.finalizers?.length) await this.allocators.releaseAll(out.object);
      return out;
    } catch (err) {
      await txn?.revert();
      throw err;
    }
  }

  override async delete(namespace: string | undefined, name: string, p: DeleteParams = {}): Promise<DeleteResult> {
    const res = await super.delete(namespace, name, p);
    if (res.deleted && !p.dryRun) await this.allocators.releaseAll(res.object);
    return res;
  }
}
