import type { KubeObject } from '../api/types.js';
import type { RestClient } from './rest.js';
import type { ResourceRef } from './paths.js';
import { Informer, waitForCacheSync, type InformerOptions } from './informer.js';

// Controllers in one process ask for the same resources; sharing one
// informer per (resource, namespace, selectors) means one list+watch and one
// cache, as client-go's SharedInformerFactory.

export class InformerFactory {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private started = false;

  constructor(
    private readonly client: RestClient,
    private readonly defaults: Pick<InformerOptions<KubeObject>, 'resyncPeriodMs' | 'pageSize' | 'namespace'> = {},
  ) {}

  informerFor<T extends KubeObject = KubeObject>(resource: ResourceRef, opts: Omit<InformerOptions<T>, 'indexers' | 'transform'> = {}): Informer<T> {
    // No transform: a shared informer's objects are whole for every reader.
    const o: Omit<InformerOptions<T>, 'indexers' | 'transform'> = { ...this.defaults, ...opts };
    const key = [resource.group, resource.version, resource.resource, o.namespace ?? '', o.labelSelector ?? '', o.fieldSelector ?? ''].join('|');
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer<KubeObject>(this.client, resource, o);
      this.informers.set(key, inf);
      if (this.started) inf.start();
    }
    return inf as unknown as Informer<T>;
  }

  /** Start every informer asked for so far (and any asked for later). */
  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    return waitForCacheSync(signal, ...this.informers.values());
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
