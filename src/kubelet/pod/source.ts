import { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import type { Pod } from '../api-types.js';

// Where a kubelet learns about the API pods bound to its node. A lone
// kubelet runs its own informer with fieldSelector spec.nodeName=<node>,
// as upstream's. The hollow-node harness instead creates one
// SharedPodSource over a single all-pods informer and hands it to every
// kubelet, so thousands of nodes cost one list+watch and one cache.

export interface PodHandlers {
  onUpsert(pod: Pod): void;
  onDelete(pod: Pod): void;
}

export interface PodSubscription {
  /** Resolves true once the initial list is in (false if stopped first). */
  synced(): Promise<boolean>;
  /** The pods currently bound to the node. */
  list(): Pod[];
  stop(): Promise<void>;
}

export interface NodePodSource {
  subscribe(nodeName: string, handlers: PodHandlers): PodSubscription;
}

const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };

/** One informer per kubelet, filtered by the API server. */
export function informerPodSource(client: RestClient): NodePodSource {
  return {
    subscribe(nodeName, handlers) {
      const inf = new Informer<Pod>(client, PODS, { fieldSelector: `spec.nodeName=${nodeName}` });
      inf.addEventHandler({
        onAdd: (p) => handlers.onUpsert(p),
        onUpdate: (_o, p) => handlers.onUpsert(p),
        onDelete: (p) => handlers.onDelete(p),
      });
      inf.start();
      return { synced: () => inf.waitForSync(), list: () => inf.store.list(), stop: () => inf.stop() };
    },
  };
}

/** Fans one all-pods informer out to many nodes; the caller starts and stops the informer. */
export class SharedPodSource implements NodePodSource {
  private readonly byNode = new Map<string, PodHandlers>();
  private readonly podsByNode = new Map<string, Map<string, Pod>>();
  /** Told of a pod bound to a node that has no handlers of its own (idle hollow nodes share this one instead of a subscription each). */
  onUnsubscribed?: (nodeName: string) => void;

  constructor(private readonly informer: Informer<Pod>) {
    informer.addEventHandler({
      onAdd: (p) => this.upsert(p),
      onUpdate: (_o, p) => this.upsert(p),
      onDelete: (p) => this.remove(p),
    });
  }

  private upsert(p: Pod): void {
    const node = p.spec?.nodeName;
    if (!node) return;
    let m = this.podsByNode.get(node);
    if (!m) this.podsByNode.set(node, (m = new Map()));
    m.set(p.metadata.uid!, p);
    const h = this.byNode.get(node);
    if (h) h.onUpsert(p);
    else this.onUnsubscribed?.(node);
  }

  private remove(p: Pod): void {
    const node = p.spec?.nodeName;
    if (!node) return;
    const m = this.podsByNode.get(node);
    m?.delete(p.metadata.uid!);
    if (m?.size === 0) this.podsByNode.delete(node);
    this.byNode.get(node)?.onDelete(p);
  }

  hasPods(nodeName: string): boolean {
    return (this.podsByNode.get(nodeName)?.size ?? 0) > 0;
  }

  subscribe(nodeName: string, handlers: PodHandlers): PodSubscription {
    this.byNode.set(nodeName, handlers);
    for (const p of this.podsByNode.get(nodeName)?.values() ?? []) handlers.onUpsert(p);
    return {
      synced: () => this.informer.waitForSync(),
      list: () => [...(this.podsByNode.get(nodeName)?.values() ?? [])],
      stop: async () => {
        if (this.byNode.get(nodeName) === handlers) this.byNode.delete(nodeName);
      },
    };
  }
}
