import type { KubeObject } from '../../api/types.js';
import type { RestClient } from '../../client/rest.js';
import { isConflict, isNotFound } from '../../client/status.js';
import { StatusError } from '../../api/errors.js';
import { discoverResources, GroupDiscoveryFailedError, hasVerbs, type DiscoveredResource } from '../discovery.js';
import { NAMESPACES, PODS } from '../core-resources.js';
import { ConditionCollector, type NamespaceCondition } from './conditions.js';

// Upstream's NamespacedResourcesDeleter: empties a terminating namespace of
// every namespaced resource discovery lists, then removes the "kubernetes"
// finalizer through /finalize so the API server can drop the namespace.
// Anything still present after a pass (graceful pods, objects with
// finalizers) yields ResourcesRemainingError with a wait estimate.

export const FINALIZER_KUBERNETES = 'kubernetes';
/** Seconds to wait before looking again at content held by finalizers. */
export const FINALIZER_ESTIMATE_SECONDS = 15;

interface Namespace extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: NamespaceCondition[] };
}

export class ResourcesRemainingError extends Error {
  constructor(readonly estimate: number) {
    super(`some content remains in the namespace, estimate ${estimate} seconds before it is removed`);
  }
}

interface GvrResult {
  estimate: number;
  remaining: number;
  finalizers: Map<string, number>;
}

/** "resource.group" as upstream prints it in conditions (core resources end in a dot: "pods."). */
function groupResource(r: DiscoveredResource): string {
  return `${r.resource}.${r.group}`;
}

export class NamespaceDeleter {
  constructor(
    private readonly client: RestClient,
    private readonly discover: (client: RestClient) => ReturnType<typeof discoverResources> = discoverResources,
  ) {}

  /** One pass over the namespace; throws ResourcesRemainingError while content is going away. */
  async delete(name: string): Promise<void> {
    let ns: Namespace;
    try {
      ns = await this.client.get<Namespace>(NAMESPACES, undefined, name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (!ns.metadata.deletionTimestamp) return;
    const current = await this.retryOnConflict(ns, (n) => this.ensureTerminating(n));
    if (!current || !current.metadata.deletionTimestamp) return;
    if (!(current.spec?.finalizers ?? []).includes(FINALIZER_KUBERNETES)) return;

    const estimate = await this.deleteAllContent(current);
    if (estimate > 0) throw new ResourcesRemainingError(estimate);
    await this.retryOnConflict(current, (n) => this.finalize(n));
  }

  private async retryOnConflict(ns: Namespace, fn: (ns: Namespace) => Promise<Namespace>): Promise<Namespace | undefined> {
    let latest = ns;
    for (;;) {
      try {
        return await fn(latest);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        if (!isConflict(err)) throw err;
      }
      const prev = latest;
      latest = await this.client.get<Namespace>(NAMESPACES, undefined, ns.metadata.name!);
      if (prev.metadata.uid !== latest.metadata.uid) throw new Error('namespace uid has changed across retries');
    }
  }

  private async ensureTerminating(ns: Namespace): Promise<Namespace> {
    if (ns.status?.phase === 'Terminating') return ns;
    return this.client.updateStatus<Namespace>(NAMESPACES, undefined, { ...ns, status: { ...ns.status, phase: 'Terminating' } });
  }

  private async finalize(ns: Namespace): Promise<Namespace> {
    const finalizers = [...new Set((ns.spec?.finalizers ?? []).filter((f) => f !== FINALIZER_KUBERNETES))].sort();
    return this.client.updateSubresource<Namespace>(NAMESPACES, undefined, ns.metadata.name!, 'finalize', { ...ns, spec: { ...ns.spec, finalizers } });
  }

  /** Deletes everything it can; returns the longest wait estimate (seconds) for what remains. */
  async deleteAllContent(ns: Namespace): Promise<number> {
    const name = ns.metadata.name!;
    const conditions = new ConditionCollector();
    const errors: Error[] = [];
    let resources: DiscoveredResource[] = [];
    try {
      const found = await this.discover(this.client);
      resources = found.resources;
      if (found.failed.size) {
        const err = new GroupDiscoveryFailedError(found.failed);
        errors.push(err);
        conditions.discoveryFailed(`Discovery failed for some groups, ${found.failed.size} failing: ${err.message}`);
      }
    } catch (err) {
      errors.push(err as Error);
      conditions.discoveryFailed((err as Error).message);
    }
    const deletable = resources.filter((r) => r.preferred && r.namespaced && hasVerbs(r, 'delete'));
    let estimate = 0;
    const gvrRemaining = new Map<string, number>();
    const finalizersRemaining = new Map<string, number>();
    for (const r of deletable) {
      try {
        const res = await this.deleteAllOf(r, name);
        estimate = Math.max(estimate, res.estimate);
        if (res.remaining) gvrRemaining.set(groupResource(r), res.remaining);
        for (const [f, n] of res.finalizers) finalizersRemaining.set(f, (finalizersRemaining.get(f) ?? 0) + n);
      } catch (err) {
        errors.push(err as Error);
        conditions.contentDeleteFailed(err as Error);
      }
    }
    conditions.contentTotals(gvrRemaining, finalizersRemaining);
    await this.writeConditions(name, conditions);
    if (errors.length) throw new Error(errors.map((e) => e.message).join('; '));
    return estimate;
  }

  private async writeConditions(name: string, conditions: ConditionCollector): Promise<void> {
    const fresh = await this.client.get<Namespace>(NAMESPACES, undefined, name);
    const { conditions: next, changed } = conditions.merge(fresh.status?.conditions);
    if (!changed) return;
    await this.client.updateStatus<Namespace>(NAMESPACES, undefined, { ...fresh, status: { ...fresh.status, conditions: next } });
  }

  private async deleteAllOf(r: DiscoveredResource, namespace: string): Promise<GvrResult> {
    // Pods get a wait estimate from their grace periods, as kubelets need that long to stop them.
    let estimate = 0;
    if (r.group === '' && r.resource === 'pods') estimate = await this.podsEstimate(namespace);
    const collection = hasVerbs(r, 'deletecollection') && (await this.deleteCollection(r, namespace));
    if (!collection) await this.deleteEach(r, namespace);
    if (!hasVerbs(r, 'list')) return { estimate: 0, remaining: 0, finalizers: new Map() };
    const left = await this.list(r, namespace);
    if (!left || left.length === 0) return { estimate: 0, remaining: 0, finalizers: new Map() };
    const finalizers = new Map<string, number>();
    for (const item of left) for (const f of item.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
    if (estimate > 0) return { estimate, remaining: left.length, finalizers };
    if (finalizers.size > 0) return { estimate: FINALIZER_ESTIMATE_SECONDS, remaining: left.length, finalizers };
    throw new Error(`unexpected items still remain in namespace: ${namespace} for gvr: ${r.group}/${r.version}, Resource=${r.resource}`);
  }

  private async podsEstimate(namespace: string): Promise<number> {
    const pods = await this.client.list<KubeObject>(PODS, namespace);
    let estimate = 0;
    for (const p of pods.items) {
      const phase = (p.status as { phase?: string } | undefined)?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      const grace = (p.spec as { terminationGracePeriodSeconds?: number } | undefined)?.terminationGracePeriodSeconds;
      if (grace !== undefined && grace > estimate) estimate = grace;
    }
    return estimate;
  }

  /** false when the server turns out not to support deletecollection for the resource. */
  private async deleteCollection(r: DiscoveredResource, namespace: string): Promise<boolean> {
    try {
      await this.client.deleteCollection(r, namespace, {}, { propagationPolicy: 'Background' });
      return true;
    } catch (err) {
      if (err instanceof StatusError && (err.code === 405 || err.code === 404)) return false;
      throw err;
    }
  }

  private async list(r: DiscoveredResource, namespace: string): Promise<KubeObject[] | undefined> {
    try {
      return (await this.client.list(r, namespace)).items;
    } catch (err) {
      if (err instanceof StatusError && (err.code === 405 || err.code === 404)) return undefined;
      throw err;
    }
  }

  private async deleteEach(r: DiscoveredResource, namespace: string): Promise<void> {
    if (!hasVerbs(r, 'list')) return;
    const items = await this.list(r, namespace);
    for (const item of items ?? []) {
      try {
        await this.client.delete(r, namespace, item.metadata.name!, { propagationPolicy: 'Background' });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
}
