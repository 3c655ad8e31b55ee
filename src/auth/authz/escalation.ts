import type { KubeObject } from '../../api/types.js';
import { StatusError } from '../../api/errors.js';
import { SYSTEM_MASTERS, type UserInfo } from '../user.js';
import type { PolicyRule } from './rules.js';
import type { Authorizer } from './types.js';

// RBAC's privilege-escalation prevention (upstream's policybased role and
// binding storage): without it, anyone allowed to create a Role and a
// RoleBinding could grant themselves anything. A write of a role must only
// hold rules its author already holds (or the author has `escalate` on it),
// and a binding may only reference a role whose rules its author holds (or
// the author has `bind` on that role).

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** What the RBAC authorizer knows, for the checks (the Node authorizer's grants do not count, as upstream). */
export interface RbacRuleResolver {
  /** The rules that apply to the user in the namespace ('' = cluster-wide bindings only), and resolution errors. */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] };
  /** The rules of the role a binding in `namespace` references; undefined when it does not exist. */
  roleRefRules(kind: string, name: string, namespace: string): PolicyRule[] | undefined;
}

const has = (set: readonly string[] | undefined, x: string): boolean => !!set && set.includes(x);
const hasAll = (set: readonly string[] | undefined, xs: readonly string[] | undefined): boolean => (xs ?? []).every((x) => has(set, x));

/** Upstream's BreakdownRule: one verb, group, resource and name (or one verb and URL) per rule. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs ?? []) {
        if (rule.resourceNames?.length) for (const name of rule.resourceNames) out.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] });
        else out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) for (const verb of rule.verbs ?? []) out.push({ nonResourceURLs: [url], verbs: [verb] });
  return out;
}

function resourceCoversAll(owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  if (has(owner, '*') || hasAll(owner, wanted)) return true;
  for (const path of wanted ?? []) {
    if (has(owner, path)) continue;
    const slash = path.indexOf('/');
    if (slash < 0) return false;
    if (!has(owner, `*/${path.slice(slash + 1)}`)) return false;
  }
  return true;
}

function urlsCoverAll(owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  if (hasAll(owner, wanted)) return true;
  return (wanted ?? []).every((url) => (owner ?? []).some((o) => o === url || o === '*' || (o.endsWith('*') && url.startsWith(o.slice(0, -1)))));
}

function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = has(owner.verbs, '*') || hasAll(owner.verbs, sub.verbs);
  const groups = has(owner.apiGroups, '*') || hasAll(owner.apiGroups, sub.apiGroups);
  const resources = resourceCoversAll(owner.resources, sub.resources);
  const urls = urlsCoverAll(owner.nonResourceURLs, sub.nonResourceURLs);
  const names = !owner.resourceNames?.length || (!!sub.resourceNames?.length && hasAll(owner.resourceNames, sub.resourceNames));
  return verbs && groups && resources && urls && names;
}

/** Upstream's Covers: whether the owner's rules hold every piece of the servant's, and the pieces they miss. */
export function covers(owner: readonly PolicyRule[], servant: readonly PolicyRule[]): { ok: boolean; missing: PolicyRule[] } {
  const missing: PolicyRule[] = [];
  for (const rule of servant) for (const piece of breakdownRule(rule)) if (!owner.some((o) => ruleCovers(o, piece))) missing.push(piece);
  return { ok: missing.length === 0, missing };
}

/** Upstream's CompactRules: simple resource rules that differ only in verb become one rule. */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const byKey = new Map<string, PolicyRule>();
  for (const r of rules) {
    const simple = r.apiGroups?.length === 1 && r.resources?.length === 1 && !r.resourceNames?.length && !r.nonResourceURLs?.length;
    if (!simple) {
      out.push({ ...r, verbs: [...r.verbs] });
      continue;
    }
    const key = `${r.apiGroups![0]}\u0000${r.resources![0]}`;
    const seen = byKey.get(key);
    if (seen) {
      for (const v of r.verbs) if (!seen.verbs.includes(v)) seen.verbs.push(v);
      continue;
    }
    const copy: PolicyRule = { apiGroups: [...r.apiGroups!], resources: [...r.resources!], verbs: [...r.verbs] };
    byKey.set(key, copy);
    out.push(copy);
  }
  return out;
}

/** Go's %q of a []string: ["a" "b"]. */
const goQuoteList = (xs: readonly string[]): string => `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;

/** Upstream's PolicyRule.CompactString. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${goQuoteList(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${goQuoteList(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${goQuoteList(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${goQuoteList(r.resourceNames)}`);
  if (r.verbs?.length) parts.push(`Verbs:${goQuoteList(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/** Upstream's ConfirmNoEscalation: undefined when the user holds every rule, else the message naming what is missing. */
export function confirmNoEscalation(resolver: RbacRuleResolver, user: UserInfo, namespace: string, rules: readonly PolicyRule[]): string | undefined {
  const own = resolver.rulesFor(user, namespace);
  const { ok, missing } = covers(own.rules, rules);
  if (ok) return undefined;
  const lines = [...new Set(compactRules(missing).map(compactString))].sort();
  let msg = `user ${JSON.stringify(user.username)} (groups=${goQuoteList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
  if (own.errors.length) msg += `; resolution errors: [${own.errors.join(' ')}]`;
  return msg;
}

const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

function forbidden(resource: string, name: string, message: string): StatusError {
  const qualified = `${resource}.${RBAC_GROUP}`;
  return new StatusError(403, 'Forbidden', `${qualified} ${JSON.stringify(name)} is forbidden: ${message}`, { name, group: RBAC_GROUP, kind: resource });
}

/** Only ownerReferences or finalizers changed: upstream lets the garbage collector through without the check. */
function onlyGcFieldsChanged(obj: KubeObject, old: KubeObject | undefined): boolean {
  if (!old) return false;
  const strip = (o: KubeObject, refs: KubeObject['metadata']) => {
    const copy = structuredClone(o) as KubeObject;
    copy.metadata.ownerReferences = refs.ownerReferences;
    copy.metadata.finalizers = refs.finalizers;
    delete copy.metadata.resourceVersion;
    delete copy.metadata.managedFields;
    delete copy.metadata.generation;
    return JSON.stringify(copy);
  };
  return strip(obj, old.metadata) === strip(old, old.metadata);
}

export interface EscalationRequest {
  authz: Authorizer;
  resolver: RbacRuleResolver;
  user: UserInfo;
  /** roles, clusterroles, rolebindings or clusterrolebindings. */
  resource: string;
  namespace: string;
  obj: KubeObject;
  old: KubeObject | undefined;
}

/**
 * Throws 403 when the write would grant permissions its author does not
 * hold, as upstream's policybased storage for the four RBAC kinds.
 */
export function checkEscalation(r: EscalationRequest): void {
  const { authz, resolver, user, resource, namespace, obj, old } = r;
  if (user.groups.includes(SYSTEM_MASTERS)) return;
  if (onlyGcFieldsChanged(obj, old)) return;
  const name = obj.metadata.name ?? '';
  if (resource === 'roles' || resource === 'clusterroles') {
    const escalate = authz.authorize({ user, verb: 'escalate', resourceRequest: true, apiGroup: RBAC_GROUP, apiVersion: 'v1', resource, namespace: namespace || undefined, name });
    if (escalate.allowed) return;
    const msg = confirmNoEscalation(resolver, user, resource === 'roles' ? namespace : '', (obj.rules as PolicyRule[] | undefined) ?? []);
    if (msg) throw forbidden(resource, name, msg);
    if (resource === 'clusterroles' && obj.aggregationRule && confirmNoEscalation(resolver, user, '', FULL_AUTHORITY)) {
      throw forbidden(resource, name, 'must have cluster-admin privileges to use the aggregationRule');
    }
    return;
  }
  if (resource === 'rolebindings' || resource === 'clusterrolebindings') {
    const ref = (obj.roleRef ?? {}) as { kind?: string; name?: string };
    const refResource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
    const bindNamespace = resource === 'rolebindings' ? namespace : '';
    const bind = authz.authorize({ user, verb: 'bind', resourceRequest: true, apiGroup: RBAC_GROUP, apiVersion: 'v1', resource: refResource, namespace: bindNamespace || undefined, name: ref.name ?? '' });
    if (bind.allowed) return;
    const rules = resolver.roleRefRules(ref.kind ?? '', ref.name ?? '', bindNamespace);
    if (!rules) {
      const singular = ref.kind === 'Role' ? 'role' : 'clusterrole';
      throw new StatusError(404, 'NotFound', `${singular}.${RBAC_GROUP} ${JSON.stringify(ref.name ?? '')} not found`, { name: ref.name ?? '', group: RBAC_GROUP, kind: singular });
    }
    const msg = confirmNoEscalation(resolver, user, bindNamespace, rules);
    if (msg) throw forbidden(resource, name, msg);
  }
}
