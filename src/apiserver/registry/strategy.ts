import type { ResourceInfo } from '../../api/scheme/resources.js';
import type { KubeObject } from '../../api/types.js';
import { clone } from '../patch/json-value.js';

// Per-resource behaviour of the generic store, as upstream's RESTCreateStrategy
// / RESTUpdateStrategy / RESTGracefulDeleteStrategy: what a create may set,
// what an update may change, and how a delete proceeds.

export interface DeleteRequest {
  gracePeriodSeconds?: number;
}

export interface Strategy {
  /** Spec changes bump metadata.generation (workloads). */
  tracksGeneration: boolean;
  /** PUT of a missing object creates it (events, endpoints, leases). */
  allowCreateOnUpdate: boolean;
  /** Reset what a client may not set on create (status of most kinds). */
  prepareForCreate(obj: KubeObject): void;
  /** The main resource cannot change status; keep the old one. */
  prepareForUpdate(obj: KubeObject, old: KubeObject): void;
  /** The status subresource changes only status. */
  prepareForStatusUpdate(obj: KubeObject, old: KubeObject): void;
  /** The approval subresource (CertificateSigningRequests) changes only the approval conditions. */
  prepareForApprovalUpdate?(obj: KubeObject, old: KubeObject): void;
  /**
   * Seconds of grace for a delete, or 0 to delete at once. Only pods on a
   * node wait for their kubelet; everything else goes immediately.
   */
  gracePeriod(obj: KubeObject, req: DeleteRequest): number;
  /** Something besides metadata.finalizers holds the deletion (a namespace's spec.finalizers). */
  holdsDeletion(obj: KubeObject): boolean;
}

function resetMetaForStatus(obj: KubeObject, old: KubeObject, resetLabels: boolean): void {
  // As upstream's per-kind status strategies: a status write may not touch
  // deletion, ownership or generation; annotations may change (the deployment
  // controller records its revision through /status), labels only for some kinds.
  const m = obj.metadata;
  const o = old.metadata;
  m.deletionTimestamp = o.deletionTimestamp;
  m.deletionGracePeriodSeconds = o.deletionGracePeriodSeconds;
  m.generation = o.generation;
  m.finalizers = clone(o.finalizers);
  m.ownerReferences = clone(o.ownerReferences);
  if (resetLabels) m.labels = clone(o.labels);
  for (const k of Object.keys(m) as (keyof typeof m)[]) if (m[k] === undefined) delete m[k];
}

function baseStrategy(info: ResourceInfo): Strategy {
  const workload = info.group === 'apps' || info.group === 'batch' || info.resource === 'replicationcontrollers';
  return {
    tracksGeneration: workload,
    allowCreateOnUpdate: ['events', 'endpoints', 'leases', 'endpointslices'].includes(info.resource),
    prepareForCreate(obj) {
      if (info.hasStatus && info.resource !== 'nodes') {
        if (workload) obj.status = {};
        else delete obj.status;
      }
    },
    prepareForUpdate(obj, old) {
      if (info.hasStatus) {
        if (old.status === undefined) delete obj.status;
        else obj.status = clone(old.status);
      }
    },
    prepareForStatusUpdate(obj, old) {
      for (const k of Object.keys(obj)) if (k !== 'status' && k !== 'metadata' && k !== 'apiVersion' && k !== 'kind') delete obj[k];
      // Shared, not copied: the stored object is never changed (it may be the watch cache's own), nor is
      // what a status write keeps of it once taken (no defaulting follows; the written object is read-only).
      for (const k of Object.keys(old)) if (k !== 'status' && k !== 'metadata') obj[k] = old[k];
      resetMetaForStatus(obj, old, workload);
    },
    gracePeriod() {
      return 0;
    },
    holdsDeletion() {
      return false;
    },
  };
}

function qosClass(pod: any): string {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let anyReq = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      if (req[r] !== undefined || lim[r] !== undefined) anyReq = true;
      if (lim[r] === undefined || (req[r] !== undefined && String(req[r]) !== String(lim[r]))) guaranteed = false;
    }
  }
  if (!anyReq) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function podStrategy(info: ResourceInfo): Strategy {
  const base = baseStrategy(info);
  return {
    ...base,
    prepareForCreate(obj) {
      obj.status = { phase: 'Pending', qosClass: qosClass(obj) };
    },
    gracePeriod(obj, req) {
      const pod = obj as any;
      // An unscheduled or finished pod has no kubelet to wait for.
      if (!pod.spec?.nodeName) return 0;
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 0;
      const g = req.gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      // Upstream turns a requested 0 into 1 so the kubelet still gets to kill; only --force (0 with force) is immediate.
      return Math.max(0, g);
    },
  };
}

function namespaceStrategy(info: ResourceInfo): Strategy {
  const base = baseStrategy(info);
  return {
    ...base,
    prepareForCreate(obj) {
      obj.status = { phase: 'Active' };
      const spec = (obj.spec ?? {}) as { finalizers?: string[] };
      if (!spec.finalizers) spec.finalizers = ['kubernetes'];
      obj.spec = spec;
    },
    prepareForUpdate(obj, old) {
      obj.status = clone(old.status);
      // spec.finalizers change only through /finalize.
      obj.spec = clone(old.spec);
    },
    holdsDeletion(obj) {
      return ((obj.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length > 0;
    },
  };
}

function persistentStrategy(info: ResourceInfo): Strategy {
  const base = baseStrategy(info);
  return {
    ...base,
    prepareForCreate(obj) {
      obj.status = { phase: info.resource === 'persistentvolumes' ? 'Pending' : 'Pending' };
    },
  };
}

/** PodDisruptionBudgets: generation follows the spec; status starts at zero, as upstream's PrepareForCreate. */
function pdbStrategy(info: ResourceInfo): Strategy {
  const base = baseStrategy(info);
  return {
    ...base,
    tracksGeneration: true,
    prepareForCreate(obj) {
      obj.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
    },
  };
}

function sameJSON(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * Upstream's dropTypeDependentFields: a type change clears the values the
 * old type needed (cluster IPs for ExternalName, node ports for ClusterIP)
 * when the client sent them back unchanged, so `kubectl patch -p
 * '{"spec":{"type":"ClusterIP"}}'` works on a NodePort Service.
 */
function dropTypeDependentFields(spec: any, old: any): void {
  if (spec.type === old.type) return;
  const nodePorts = (s: any) => (s.ports ?? []).map((p: any) => p?.nodePort ?? 0);
  if (spec.type === 'ExternalName') {
    if (sameJSON(spec.clusterIP, old.clusterIP) && sameJSON(spec.clusterIPs, old.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (sameJSON(spec.ipFamilies, old.ipFamilies)) delete spec.ipFamilies;
    if (sameJSON(spec.ipFamilyPolicy, old.ipFamilyPolicy)) delete spec.ipFamilyPolicy;
  }
  if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer' && sameJSON(nodePorts(spec), nodePorts(old))) {
    for (const p of spec.ports ?? []) if (p) delete p.nodePort;
  }
  if (spec.type !== 'LoadBalancer') {
    if (sameJSON(spec.healthCheckNodePort, old.healthCheckNodePort)) delete spec.healthCheckNodePort;
    if (sameJSON(spec.allocateLoadBalancerNodePorts, old.allocateLoadBalancerNodePorts)) delete spec.allocateLoadBalancerNodePorts;
    if (sameJSON(spec.loadBalancerClass, old.loadBalancerClass)) delete spec.loadBalancerClass;
  }
  const external = (s: any) => s.type === 'NodePort' || s.type === 'LoadBalancer' || (s.type === 'ClusterIP' && (s.externalIPs ?? []).length > 0);
  if (!external(spec) && sameJSON(spec.externalTrafficPolicy, old.externalTrafficPolicy)) delete spec.externalTrafficPolicy;
  if (spec.type === 'ExternalName' && sameJSON(spec.internalTrafficPolicy, old.internalTrafficPolicy)) delete spec.internalTrafficPolicy;
}

function serviceStrategy(info: ResourceInfo): Strategy {
  const base = baseStrategy(info);
  return {
    ...base,
    prepareForCreate(obj) {
      obj.status = { loadBalancer: {} };
    },
    prepareForUpdate(obj, old) {
      base.prepareForUpdate(obj, old);
      const spec = (obj.spec ??= {}) as any;
      const oldSpec = (old.spec ?? {}) as any;
      dropTypeDependentFields(spec, oldSpec);
      // Upstream's NormalizeClusterIPs: an old client that changed only the singular field changed both.
      if (spec.type !== 'ExternalName' && (spec.clusterIP ?? '') !== (oldSpec.clusterIP ?? '')) {
        if (!spec.clusterIP) delete spec.clusterIPs;
        else if (sameJSON(spec.clusterIPs, oldSpec.clusterIPs)) spec.clusterIPs = [spec.clusterIP];
      }
      // A Service that stops being a LoadBalancer has no load balancer to report.
      if (spec.type !== 'LoadBalancer' && oldSpec.type === 'LoadBalancer') obj.status = { loadBalancer: {} };
    },
  };
}

const APPROVAL_TYPES = new Set(['Approved', 'Denied']);

function conditionsOf(obj: KubeObject): Record<string, unknown>[] {
  return ((obj.status as { conditions?: Record<string, unknown>[] } | undefined)?.conditions ?? []).filter((c) => c && typeof c === 'object');
}

/** Upstream's populateConditionTimestamps: unset times become now; an unchanged status keeps its transition time. */
function stampConditions(obj: KubeObject, old: KubeObject): void {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const c of conditionsOf(obj)) {
    c.lastUpdateTime ??= now;
    if (c.lastTransitionTime) continue;
    const before = conditionsOf(old).find((o) => o.type === c.type);
    c.lastTransitionTime = before && before.status === c.status && before.lastTransitionTime ? before.lastTransitionTime : now;
  }
}

/**
 * Upstream's csrStrategy, csrStatusStrategy and csrApprovalStrategy: the spec
 * never changes after create; /status may set the certificate and the
 * non-approval conditions, /approval only Approved and Denied.
 */
function csrStrategy(info: ResourceInfo): Strategy {
  const base = baseStrategy(info);
  return {
    ...base,
    prepareForUpdate(obj, old) {
      obj.spec = clone(old.spec);
      if (old.status === undefined) delete obj.status;
      else obj.status = clone(old.status);
    },
    prepareForStatusUpdate(obj, old) {
      base.prepareForStatusUpdate(obj, old);
      const status = (obj.status ??= {}) as { conditions?: Record<string, unknown>[] };
      const kept = conditionsOf(obj).filter((c) => !APPROVAL_TYPES.has(String(c.type)));
      // Copies: stampConditions writes into these, and the old object may be the watch cache's shared one.
      const approvals = conditionsOf(old).filter((c) => APPROVAL_TYPES.has(String(c.type))).map((c) => ({ ...c }));
      status.conditions = [...approvals, ...kept];
      if (!status.conditions.length) delete status.conditions;
      stampConditions(obj, old);
    },
    prepareForApprovalUpdate(obj, old) {
      base.prepareForStatusUpdate(obj, old);
      const oldStatus = (old.status ?? {}) as Record<string, unknown>;
      const approvals = conditionsOf(obj).filter((c) => APPROVAL_TYPES.has(String(c.type)));
      const others = conditionsOf(old).filter((c) => !APPROVAL_TYPES.has(String(c.type))).map((c) => ({ ...c }));
      const status: Record<string, unknown> = { ...clone(oldStatus) };
      const conditions = [...approvals, ...others];
      if (conditions.length) status.conditions = conditions;
      else delete status.conditions;
      obj.status = status;
      stampConditions(obj, old);
    },
  };
}

export function strategyFor(info: ResourceInfo): Strategy {
  if (info.group === 'certificates.k8s.io' && info.resource === 'certificatesigningrequests') return csrStrategy(info);
  if (info.group === 'policy' && info.resource === 'poddisruptionbudgets') return pdbStrategy(info);
  if (info.group === '' && info.resource === 'services') return serviceStrategy(info);
  if (info.group === '' && info.resource === 'pods') return podStrategy(info);
  if (info.group === '' && info.resource === 'namespaces') return namespaceStrategy(info);
  if (info.group === '' && (info.resource === 'persistentvolumes' || info.resource === 'persistentvolumeclaims')) return persistentStrategy(info);
  return baseStrategy(info);
}
