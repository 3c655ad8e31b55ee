import { resourceFor } from '../../api/scheme/resources.js';
import { StatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import type { Registry } from '../../apiserver/handlers/context.js';
import { CLUSTER_ROLES, CLUSTER_ROLE_BINDINGS, type BindingDef, type RoleDef } from './bootstrap-policy.js';
import { CONTROLLER_ROLES, CONTROLLER_ROLE_BINDINGS } from './controller-policy.js';
import type { PolicyRule } from './rules.js';
import { logger } from '../../util/log.js';

const log = logger('auth');
const RBAC = 'rbac.authorization.k8s.io';
export const clusterRolesInfo = resourceFor(RBAC, 'v1', 'clusterroles')!;
export const clusterRoleBindingsInfo = resourceFor(RBAC, 'v1', 'clusterrolebindings')!;
export const rolesInfo = resourceFor(RBAC, 'v1', 'roles')!;
export const roleBindingsInfo = resourceFor(RBAC, 'v1', 'rolebindings')!;

export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';
export const BOOTSTRAP_LABEL = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function roleObject(d: RoleDef): KubeObject {
  const obj: KubeObject = {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRole',
    metadata: { name: d.name, labels: { ...(d.labels ?? {}), ...BOOTSTRAP_LABEL }, annotations: { [AUTOUPDATE_ANNOTATION]: 'true' } },
    rules: d.aggregate ? [] : d.rules.map((r) => structuredClone(r)),
  };
  if (d.aggregate) obj.aggregationRule = { clusterRoleSelectors: d.aggregate.map((m) => ({ matchLabels: { ...m } })) };
  return obj;
}

function bindingObject(d: BindingDef): KubeObject {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name: d.name, labels: { ...BOOTSTRAP_LABEL }, annotations: { [AUTOUPDATE_ANNOTATION]: 'true' } },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: d.role },
    subjects: d.subjects.map((s) => (s.kind === 'ServiceAccount' ? { kind: s.kind, name: s.name, namespace: s.namespace } : { kind: s.kind, apiGroup: RBAC, name: s.name })),
  };
}

function mergeMeta(cur: KubeObject, want: KubeObject): void {
  cur.metadata.labels = { ...(cur.metadata.labels ?? {}), ...want.metadata.labels };
  cur.metadata.annotations = { ...(cur.metadata.annotations ?? {}), ...want.metadata.annotations };
}

async function getOrUndefined(registry: Registry, info: typeof clusterRolesInfo, name: string): Promise<KubeObject | undefined> {
  try {
    return await registry.storeFor(info).get(undefined, name);
  } catch (err) {
    if (err instanceof StatusError && err.code === 404) return undefined;
    throw err;
  }
}

async function ensure(registry: Registry, info: typeof clusterRolesInfo, want: KubeObject, merge: (cur: KubeObject) => void): Promise<void> {
  const store = registry.storeFor(info);
  const name = want.metadata.name!;
  const existing = await getOrUndefined(registry, info, name);
  if (!existing) {
    try {
      await store.create(undefined, structuredClone(want));
      return;
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 409)) throw err;
    }
  }
  await store.update(undefined, name, (cur) => {
    // An administrator who sets autoupdate=false owns the object from then on, as upstream.
    if (cur.metadata.annotations?.[AUTOUPDATE_ANNOTATION] === 'false') return cur;
    merge(cur);
    delete cur.metadata.resourceVersion;
    return cur;
  });
}

/**
 * Upstream's "ensure" reconciliation of the bootstrap policy: missing roles
 * and bindings are created; existing ones gain whatever rules, subjects,
 * labels and annotations they lack, but keep additions an admin made.
 */
export async function reconcileBootstrapPolicy(registry: Registry): Promise<void> {
  let changed = 0;
  for (const d of [...CLUSTER_ROLES, ...CONTROLLER_ROLES]) {
    const want = roleObject(d);
    await ensure(registry, clusterRolesInfo, want, (cur) => {
      const before = JSON.stringify(cur);
      mergeMeta(cur, want);
      if (want.aggregationRule) {
        cur.aggregationRule = want.aggregationRule;
        cur.rules ??= [];
      } else {
        const rules = ((cur.rules as PolicyRule[] | undefined) ?? []).slice();
        for (const r of want.rules as PolicyRule[]) if (!rules.some((x) => same(x, r))) rules.push(r);
        cur.rules = rules;
      }
      if (JSON.stringify(cur) !== before) changed++;
    });
  }
  for (const d of [...CLUSTER_ROLE_BINDINGS, ...CONTROLLER_ROLE_BINDINGS]) {
    const want = bindingObject(d);
    const existing = await getOrUndefined(registry, clusterRoleBindingsInfo, d.name);
    if (existing && !same(existing.roleRef, want.roleRef) && existing.metadata.annotations?.[AUTOUPDATE_ANNOTATION] !== 'false') {
      // roleRef is immutable: upstream replaces the binding.
      await registry.storeFor(clusterRoleBindingsInfo).delete(undefined, d.name);
    }
    await ensure(registry, clusterRoleBindingsInfo, want, (cur) => {
      mergeMeta(cur, want);
      const subjects = ((cur.subjects as unknown[] | undefined) ?? []).slice();
      for (const s of want.subjects as unknown[]) if (!subjects.some((x) => same(x, s))) subjects.push(s);
      cur.subjects = subjects;
    });
  }
  await aggregateClusterRoles(registry);
  log.info({ roles: CLUSTER_ROLES.length + CONTROLLER_ROLES.length, updated: changed }, 'bootstrap RBAC policy reconciled');
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function selectorMatches(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(l[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && (e.values ?? []).includes(l[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  // An empty selector matches nothing in aggregation (upstream skips it).
  return Object.keys(sel.matchLabels ?? {}).length > 0 || (sel.matchExpressions ?? []).length > 0;
}

/** The rules an aggregated ClusterRole should carry: its selected roles' rules, by role name, without repeats. */
export function aggregatedRules(role: KubeObject, all: Iterable<KubeObject>): PolicyRule[] {
  const selectors = ((role.aggregationRule as { clusterRoleSelectors?: LabelSelector[] } | undefined)?.clusterRoleSelectors ?? []).filter(Boolean);
  const picked = [...all]
    .filter((o) => o.metadata.name !== role.metadata.name && selectors.some((s) => selectorMatches(s, o.metadata.labels)))
    .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0));
  const out: PolicyRule[] = [];
  const seen = new Set<string>();
  for (const o of picked) {
    for (const r of (o.rules as PolicyRule[] | undefined) ?? []) {
      const k = JSON.stringify(r);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(structuredClone(r));
      }
    }
  }
  return out;
}

/**
 * One pass of upstream's clusterrole-aggregation controller over a snapshot.
 * Aggregated roles can feed each other (view → edit → admin), so it repeats
 * until nothing changes.
 */
export async function aggregateClusterRoles(registry: Registry, snapshot?: Map<string, KubeObject>): Promise<number> {
  const store = registry.storeFor(clusterRolesInfo);
  const roles = new Map<string, KubeObject>();
  if (snapshot) for (const [k, v] of snapshot) roles.set(k, v);
  else for (const o of (await store.list({})).items) roles.set(o.metadata.name!, o);
  let writes = 0;
  for (let pass = 0; pass < 8; pass++) {
    let changed = false;
    for (const role of roles.values()) {
      if (!role.aggregationRule) continue;
      const rules = aggregatedRules(role, roles.values());
      if (same(rules, role.rules ?? [])) continue;
      try {
        const { object } = await store.update(undefined, role.metadata.name!, (cur) => {
          cur.rules = rules;
          delete cur.metadata.resourceVersion;
          return cur;
        });
        roles.set(role.metadata.name!, object);
        changed = true;
        writes++;
      } catch (err) {
        if (err instanceof StatusError && err.code === 404) continue;
        throw err;
      }
    }
    if (!changed) break;
  }
  return writes;
}
