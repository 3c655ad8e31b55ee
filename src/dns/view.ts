// The resolver's view of the cluster, from two informers (Services and
// EndpointSlices in every namespace). The reverse (PTR) index is rebuilt
// lazily after a change rather than per event: lookups are rare next to
// endpoint churn in a busy cluster.

import type { RestClient } from '../client/rest.js';
import { InformerFactory } from '../client/informer-factory.js';
import type { Informer } from '../client/informer.js';
import type { KubeObject } from '../api/types.js';
import { ENDPOINTSLICES, SERVICES } from '../controllers/core-resources.js';
import { dashed, isHeadless, type ClusterView, type ServiceLike, type SliceLike } from './records.js';

const BY_SERVICE = 'service';

export class InformerView implements ClusterView {
  private readonly factory: InformerFactory;
  private readonly services: Informer<KubeObject & ServiceLike>;
  private readonly slicesInf: Informer<KubeObject & SliceLike>;
  private reverseIndex: Map<string, string[]> | undefined;

  constructor(
    client: RestClient,
    private readonly domain: string,
  ) {
    this.factory = new InformerFactory(client);
    this.services = this.factory.informerFor<KubeObject & ServiceLike>(SERVICES);
    this.slicesInf = this.factory.informerFor<KubeObject & SliceLike>(ENDPOINTSLICES);
    this.slicesInf.addIndexers({
      [BY_SERVICE]: (s) => {
        const svc = s.metadata.labels?.['kubernetes.io/service-name'];
        return svc ? [`${s.metadata.namespace}/${svc}`] : [];
      },
    });
    const dirty = { onAdd: () => (this.reverseIndex = undefined), onUpdate: () => (this.reverseIndex = undefined), onDelete: () => (this.reverseIndex = undefined) };
    this.services.addEventHandler(dirty);
    this.slicesInf.addEventHandler(dirty);
  }

  async start(signal?: AbortSignal): Promise<boolean> {
    this.factory.start();
    return this.factory.waitForCacheSync(signal);
  }

  stop(): Promise<void> {
    return this.factory.stop();
  }

  service(namespace: string, name: string): ServiceLike | undefined {
    return this.services.store.getByName(namespace, name);
  }

  slices(namespace: string, service: string): SliceLike[] {
    return this.slicesInf.store.byIndex(BY_SERVICE, `${namespace}/${service}`);
  }

  hasNamespace(namespace: string): boolean {
    return this.services.store.byNamespace(namespace).length > 0;
  }

  reverse(ip: string): string[] {
    this.reverseIndex ??= this.buildReverse();
    return this.reverseIndex.get(ip) ?? [];
  }

  private buildReverse(): Map<string, string[]> {
    const idx = new Map<string, string[]>();
    const add = (ip: string, name: string) => {
      const list = idx.get(ip) ?? [];
      if (!list.includes(name)) list.push(name);
      idx.set(ip, list);
    };
    for (const svc of this.services.store.list()) {
      if (isHeadless(svc) || svc.spec?.type === 'ExternalName') continue;
      for (const ip of svc.spec?.clusterIPs ?? [svc.spec?.clusterIP]) {
        if (typeof ip === 'string' && ip && ip !== 'None') add(ip, `${svc.metadata.name}.${svc.metadata.namespace}.svc.${this.domain}`);
      }
    }
    // Service addresses come first: an endpoint's address is looked up only when no Service holds it.
    const endpointNames = new Map<string, string[]>();
    for (const s of this.slicesInf.store.list()) {
      const svc = s.metadata.labels?.['kubernetes.io/service-name'];
      if (!svc) continue;
      for (const ep of s.endpoints ?? []) {
        for (const ip of ep.addresses ?? []) {
          if (idx.has(ip)) continue;
          const list = endpointNames.get(ip) ?? [];
          const name = `${ep.hostname ?? dashed(ip)}.${svc}.${s.metadata.namespace}.svc.${this.domain}`;
          if (!list.includes(name)) list.push(name);
          endpointNames.set(ip, list);
        }
      }
    }
    for (const [ip, names] of endpointNames) idx.set(ip, names);
    return idx;
  }
}
