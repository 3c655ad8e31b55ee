import type { KubeObject } from '../../api/types.js';
import { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';

// The ConfigMaps and Secrets that pods' volumes show, as upstream's kubelet
// keeps them with its default Watch strategy (configMapAndSecretChange-
// DetectionStrategy): one watch per object a pod uses (a list and watch with
// metadata.name, which the Node authorizer allows for objects of the node's
// pods), held while some pod uses it. A volume refresh then reads the cache
// instead of GETting the object every sync period (at 30,000 hollow pods,
// 500 GETs a second of one unchanged ConfigMap), and an update still reaches
// the volume at the next sync.

export type WatchedResource = 'configmaps' | 'secrets';

/** How long a first read waits for its watch to list the object (upstream waits for the reflector the same way). */
const SYNC_TIMEOUT_MS = 60_000;

interface Entry {
  informer: Informer<KubeObject>;
  pods: Set<string>;
}

export class WatchedObjects {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;

  constructor(
    private readonly client: RestClient,
    private readonly syncTimeoutMs = SYNC_TIMEOUT_MS,
  ) {}

  /** The object as its watch last saw it, undefined when it does not exist; the pod is counted as its user. */
  async get(resource: WatchedResource, namespace: string, name: string, podUid: string): Promise<KubeObject | undefined> {
    if (this.stopped) throw new Error(`failed to get ${resource} ${namespace}/${name}: the kubelet is stopping`);
    const key = `${resource}/${namespace}/${name}`;
    let e = this.entries.get(key);
    if (!e) {
      const informer = new Informer<KubeObject>(this.client, { group: '', version: 'v1', resource, namespaced: true }, { namespace, fieldSelector: `metadata.name=${name}` });
      e = { informer, pods: new Set() };
      this.entries.set(key, e);
      informer.start();
    }
    e.pods.add(podUid);
    if (!e.informer.hasSynced()) {
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), this.syncTimeoutMs);
      const synced = await e.informer.waitForSync(ac.signal).finally(() => clearTimeout(timer));
      // Upstream's words for a reflector that has not listed in time.
      if (!synced) throw new Error(`failed to sync ${resource === 'configmaps' ? 'configmap' : 'secret'} cache: timed out waiting for the condition`);
    }
    return e.informer.store.getByName(namespace, name);
  }

  /** The pod's volumes are gone: objects no other pod uses lose their watch. */
  releasePod(uid: string): void {
    for (const [key, e] of this.entries) {
      if (!e.pods.delete(uid) || e.pods.size > 0) continue;
      this.entries.delete(key);
      void e.informer.stop();
    }
  }

  /** Objects watched now (for tests and diagnostics). */
  get watched(): string[] {
    return [...this.entries.keys()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => e.informer.stop()));
  }
}
