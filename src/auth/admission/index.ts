import type { KubeObject } from '../../api/types.js';
import type { Registry } from '../../apiserver/handlers/context.js';
import { resourceFor, type ResourceInfo } from '../../api/scheme/resources.js';
import { WatchCache, type CacheHandler } from '../informer.js';
import type { AdmissionAttributes, AdmissionContext, MutatingPlugin, ValidatingPlugin } from './types.js';
import { admitServiceAccount } from './serviceaccount.js';
import { defaultTolerationSeconds, type TolerationDefaults } from './default-toleration-seconds.js';
import { admitNodeRestriction } from './noderestriction.js';
import { mutateLimitRanger, validateLimitRanger } from './limitranger.js';
import { validateResourceQuota } from './resourcequota.js';
import { podSecurity, type PodSecurityDefaults } from './podsecurity/index.js';
import { mutatePriority, validatePriorityClassDefault } from './priority.js';
import { admitDefaultStorageClass, admitStorageObjectInUseProtection, validatePersistentVolumeClaimResize } from './storage.js';

export type { AdmissionAttributes, Operation } from './types.js';
export { admissionForbidden } from './types.js';
export { computeUsage, usageOf } from './resourcequota.js';
export { podSecurityAuditViolations } from './podsecurity/index.js';

/** Upstream's plugin names, in the order kube-apiserver runs them (NamespaceLifecycle is the lead's). */
export const ADMISSION_PLUGINS = ['NamespaceLifecycle', 'LimitRanger', 'ServiceAccount', 'NodeRestriction', 'PodSecurity', 'Priority', 'DefaultTolerationSeconds', 'DefaultStorageClass', 'StorageObjectInUseProtection', 'PersistentVolumeClaimResize', 'ResourceQuota'] as const;
export type AdmissionPluginName = (typeof ADMISSION_PLUGINS)[number];

export interface AdmissionOptions {
  /** --disable-admission-plugins */
  disabled?: AdmissionPluginName[];
  podSecurity?: PodSecurityDefaults;
  /**
   * Serve ResourceQuota and LimitRange lookups from watch-fed caches (upstream's
   * listers) instead of a storage list per request. The watches start on first
   * use; whoever enables this must call close().
   */
  cache?: boolean;
  /** --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds (300 each). */
  tolerationDefaults?: TolerationDefaults;
}

/** One resource's objects by namespace, kept current by a watch. */
class NamespacedCache {
  private readonly byNamespace = new Map<string, Map<string, KubeObject>>();
  private readonly watch: WatchCache;
  private started: Promise<void> | undefined;

  constructor(registry: Registry, info: ResourceInfo) {
    const handler: CacheHandler = {
      upsert: (o) => {
        const ns = o.metadata.namespace ?? '';
        let m = this.byNamespace.get(ns);
        if (!m) this.byNamespace.set(ns, (m = new Map()));
        m.set(o.metadata.name!, o);
      },
      remove: (o) => {
        const ns = o.metadata.namespace ?? '';
        const m = this.byNamespace.get(ns);
        m?.delete(o.metadata.name!);
        if (m?.size === 0) this.byNamespace.delete(ns);
      },
    };
    this.watch = new WatchCache(registry.storeFor(info), handler, `admission:${info.resource}`);
  }

  async list(namespace: string): Promise<KubeObject[]> {
    this.started ??= this.watch.start().catch((err: unknown) => {
      this.started = undefined;
      throw err;
    });
    await this.started;
    return [...(this.byNamespace.get(namespace)?.values() ?? [])];
  }

  async get(namespace: string, name: string): Promise<KubeObject | undefined> {
    this.started ??= this.watch.start().catch((err: unknown) => {
      this.started = undefined;
      throw err;
    });
    await this.started;
    return this.byNamespace.get(namespace)?.get(name);
  }

  stop(): void {
    this.watch.stop();
  }
}

export interface AdmissionChain {
  /** Mutating phase, before defaulting and validation of the object. */
  mutate(a: AdmissionAttributes, obj: KubeObject | undefined, old: KubeObject | undefined): Promise<void>;
  /** Validating phase, after the object's own validation, just before it is stored; returns Warning texts. */
  validate(a: AdmissionAttributes, obj: KubeObject | undefined, old: KubeObject | undefined): Promise<string[]>;
  /** Stops the caches' watches (with `cache: true`). */
  close(): void;
}

export function admissionChain(registry: Registry, opts: AdmissionOptions = {}): AdmissionChain {
  const off = new Set(opts.disabled ?? []);
  const ctx: AdmissionContext = { registry };
  const caches = new Map<ResourceInfo, NamespacedCache>();
  if (opts.cache) {
    // ServiceAccounts and Namespaces too: every pod create reads its account and its namespace's
    // pod-security labels (upstream's plugins use listers).
    for (const info of [resourceFor('', 'v1', 'resourcequotas')!, resourceFor('', 'v1', 'limitranges')!, resourceFor('scheduling.k8s.io', 'v1', 'priorityclasses')!, resourceFor('', 'v1', 'serviceaccounts')!, resourceFor('', 'v1', 'namespaces')!]) caches.set(info, new NamespacedCache(registry, info));
    ctx.list = (info, namespace) => {
      const c = caches.get(info);
      return c ? c.list(namespace) : registry.storeFor(info).list({ namespace }).then((l) => l.items);
    };
    ctx.get = (info, namespace, name) => caches.get(info)?.get(namespace, name) ?? Promise.resolve(undefined);
  }
  // NodeRestriction is a mutating plugin upstream (it only refuses): it sees the
  // request as sent, before the status strategy resets what a status write may
  // not change. DELETE has no mutating phase here, so it is checked when validating.
  const mutating: [AdmissionPluginName, MutatingPlugin][] = [
    ['LimitRanger', mutateLimitRanger],
    ['ServiceAccount', admitServiceAccount],
    ['NodeRestriction', (a, obj, old, c) => (a.operation === 'DELETE' ? Promise.resolve() : admitNodeRestriction(a, obj, old, c))],
    ['Priority', mutatePriority],
    ['DefaultTolerationSeconds', defaultTolerationSeconds(opts.tolerationDefaults)],
    ['DefaultStorageClass', admitDefaultStorageClass],
    ['StorageObjectInUseProtection', admitStorageObjectInUseProtection],
  ];
  // ResourceQuota last: it charges usage, so nothing after it may refuse.
  const validating: [AdmissionPluginName, ValidatingPlugin][] = [
    ['LimitRanger', validateLimitRanger],
    ['NodeRestriction', async (a, obj, old, c) => (a.operation === 'DELETE' ? admitNodeRestriction(a, obj, old, c) : undefined)],
    ['PodSecurity', podSecurity(opts.podSecurity)],
    ['Priority', validatePriorityClassDefault],
    ['PersistentVolumeClaimResize', validatePersistentVolumeClaimResize],
    ['ResourceQuota', validateResourceQuota],
  ];
  const m = mutating.filter(([n]) => !off.has(n)).map(([, f]) => f);
  const v = validating.filter(([n]) => !off.has(n)).map(([, f]) => f);
  return {
    async mutate(a, obj, old) {
      for (const f of m) await f(a, obj, old, ctx);
    },
    async validate(a, obj, old) {
      const warnings: string[] = [];
      for (const f of v) {
        const w = await f(a, obj, old, ctx);
        if (w) warnings.push(...w);
      }
      return warnings;
    },
    close() {
      for (const c of caches.values()) c.stop();
    },
  };
}
