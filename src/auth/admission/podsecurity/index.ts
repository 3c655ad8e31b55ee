import { resourceFor } from '../../../api/scheme/resources.js';
import { StatusError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/types.js';
import type { AdmissionAttributes, AdmissionContext } from '../types.js';
import { admissionForbidden } from '../types.js';
import { evaluate, type Level, type PodView } from './checks.js';

const namespaces = resourceFor('', 'v1', 'namespaces')!;
const LABEL = 'pod-security.kubernetes.io/';
const LEVELS = new Set<Level>(['privileged', 'baseline', 'restricted']);

export interface PodSecurityDefaults {
  enforce?: Level;
  warn?: Level;
  audit?: Level;
}

/** Workload kinds whose pod templates are checked for warn/audit (never enforced: their pods are). */
const TEMPLATE_PATHS: Record<string, (o: KubeObject) => { metadata?: Record<string, unknown>; spec?: Record<string, unknown> } | undefined> = {
  '/replicationcontrollers': (o) => (o.spec as any)?.template,
  'apps/deployments': (o) => (o.spec as any)?.template,
  'apps/replicasets': (o) => (o.spec as any)?.template,
  'apps/statefulsets': (o) => (o.spec as any)?.template,
  'apps/daemonsets': (o) => (o.spec as any)?.template,
  'batch/jobs': (o) => (o.spec as any)?.template,
  'batch/cronjobs': (o) => (o.spec as any)?.jobTemplate?.spec?.template,
};

interface Policy {
  level: Level;
  version: string;
}

function policyFrom(labels: Record<string, string>, mode: 'enforce' | 'warn' | 'audit', fallback: Level): Policy {
  const raw = labels[`${LABEL}${mode}`];
  const level = raw && LEVELS.has(raw as Level) ? (raw as Level) : fallback;
  const version = labels[`${LABEL}${mode}-version`] || 'latest';
  return { level, version };
}

const label = (p: Policy) => `${p.level}:${p.version}`;

/** What PodSecurity found for one object, for the audit log's pod-security.kubernetes.io/audit-violations annotation. */
export interface PodSecurityOutcome {
  warnings: string[];
  auditViolations?: string;
}

/** The namespace from the admission cache when it has one (upstream: a lister), else from storage. */
async function namespaceOf(ctx: AdmissionContext, name: string): Promise<KubeObject> {
  return (await ctx.get?.(namespaces, '', name)) ?? ctx.registry.storeFor(namespaces).get(undefined, name);
}

/**
 * PodSecurity admission: the namespace's pod-security.kubernetes.io/enforce
 * level refuses violating pods with upstream's message; warn produces
 * Warning headers (also for workload templates); audit is reported to the
 * caller for the audit log.
 */
export function podSecurity(defaults: PodSecurityDefaults = {}) {
  return async function validatePodSecurity(a: AdmissionAttributes, obj: KubeObject | undefined, old: KubeObject | undefined, ctx: AdmissionContext): Promise<string[]> {
    if ((a.operation !== 'CREATE' && a.operation !== 'UPDATE') || !obj || !a.namespace) return [];
    let view: PodView | undefined;
    let enforceable = false;
    if (a.group === '' && a.resource === 'pods') {
      if (a.subresource && a.subresource !== 'ephemeralcontainers') return [];
      // An update that leaves the pod spec alone (labels, status) is not re-checked.
      if (a.operation === 'UPDATE' && old && JSON.stringify(old.spec) === JSON.stringify(obj.spec)) return [];
      view = { meta: obj.metadata as Record<string, unknown>, spec: (obj.spec ?? {}) as Record<string, unknown> };
      enforceable = true;
    } else {
      const tpl = TEMPLATE_PATHS[`${a.group}/${a.resource}`];
      if (!tpl || a.subresource) return [];
      const t = tpl(obj);
      if (!t) return [];
      view = { meta: (t.metadata ?? {}) as Record<string, unknown>, spec: (t.spec ?? {}) as Record<string, unknown> };
    }
    let labels: Record<string, string> = {};
    try {
      labels = (await namespaceOf(ctx, a.namespace)).metadata.labels ?? {};
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
    const enforce = policyFrom(labels, 'enforce', defaults.enforce ?? 'privileged');
    const warn = policyFrom(labels, 'warn', defaults.warn ?? 'privileged');
    const warnings: string[] = [];
    if (enforceable) {
      const v = evaluate(enforce.level, view);
      if (v.length) throw admissionForbidden(a, `violates PodSecurity ${JSON.stringify(label(enforce))}: ${v.join(', ')}`);
    } else {
      // Workloads are warned at the enforce level too, as upstream does, so a Deployment whose pods will be refused says so.
      const v = evaluate(enforce.level, view);
      if (v.length) warnings.push(`would violate PodSecurity ${JSON.stringify(label(enforce))}: ${v.join(', ')}`);
    }
    if (warn.level !== 'privileged' && (warn.level !== enforce.level || enforceable)) {
      const v = evaluate(warn.level, view);
      if (v.length) {
        const w = `would violate PodSecurity ${JSON.stringify(label(warn))}: ${v.join(', ')}`;
        if (!warnings.includes(w)) warnings.push(w);
      }
    }
    return warnings;
  };
}

/** The audit-mode result for an object, for the audit log annotation. */
export async function podSecurityAuditViolations(a: AdmissionAttributes, obj: KubeObject, ctx: AdmissionContext, defaults: PodSecurityDefaults = {}): Promise<string | undefined> {
  if (!a.namespace || a.group !== '' || a.resource !== 'pods') return undefined;
  let labels: Record<string, string> = {};
  try {
    labels = (await namespaceOf(ctx, a.namespace)).metadata.labels ?? {};
  } catch {
    return undefined;
  }
  const audit = policyFrom(labels, 'audit', defaults.audit ?? 'privileged');
  const v = evaluate(audit.level, { meta: obj.metadata as Record<string, unknown>, spec: (obj.spec ?? {}) as Record<string, unknown> });
  return v.length ? `would violate PodSecurity ${JSON.stringify(label(audit))}: ${v.join(', ')}` : undefined;
}
