import type { KubeObject } from '../../api/types.js';
import type { UserInfo } from '../user.js';
import type { CacheHandler } from '../informer.js';
import { compileRule, rulesAllow, toRuleInfos, type CompiledRule, type PolicyRule } from './rules.js';
import type { Decision, RequestAttributes, RulesResult } from './types.js';

export interface Subject {
  kind: string;
  apiGroup?: string;
  name: string;
  namespace?: string;
}

interface Binding {
  kind: 'ClusterRoleBinding' | 'RoleBinding';
  name: string;
  namespace?: string;
  roleKind: string;
  roleName: string;
}

interface IndexEntry {
  binding: Binding;
  subject: Subject;
}

type SubjectIndex = Map<string, Set<IndexEntry>>;

/**
 * Bindings are indexed by the subject they name ("u:NAME" / "g:NAME"; a
 * service account is its user name), so a decision looks up only the
 * bindings that can apply to the caller: cost grows with the caller's
 * bindings, not with the cluster's.
 */
function subjectKey(s: Subject, bindingNamespace: string | undefined): string | undefined {
  switch (s.kind) {
    case 'User':
      return `u:${s.name}`;
    case 'Group':
      return `g:${s.name}`;
    case 'ServiceAccount': {
      const ns = s.namespace || bindingNamespace;
      return ns ? `u:system:serviceaccount:${ns}:${s.name}` : undefined;
    }
    default:
      return undefined;
  }
}

function describeSubject(s: Subject, bindingNamespace: string | undefined): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} ${JSON.stringify(`${s.name}/${s.namespace || bindingNamespace || ''}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

function describe(e: IndexEntry): string {
  const b = e.binding;
  const name = b.kind === 'RoleBinding' ? `${b.name}/${b.namespace}` : b.name;
  return `${b.kind} ${JSON.stringify(name)} of ${b.roleKind} ${JSON.stringify(b.roleName)} to ${describeSubject(e.subject, b.namespace)}`;
}

function compileAll(obj: KubeObject): CompiledRule[] {
  const rules = (obj.rules as PolicyRule[] | undefined) ?? [];
  return rules.filter((r) => r && Array.isArray(r.verbs)).map(compileRule);
}

export class RbacAuthorizer {
  private readonly clusterRoles = new Map<string, CompiledRule[]>();
  private readonly roles = new Map<string, CompiledRule[]>();
  private readonly clusterIndex: SubjectIndex = new Map();
  private readonly namespaceIndex = new Map<string, SubjectIndex>();
  private readonly indexed = new Map<string, IndexEntry[]>();

  readonly clusterRoleHandler: CacheHandler = {
    upsert: (o) => void this.clusterRoles.set(o.metadata.name!, compileAll(o)),
    remove: (o) => void this.clusterRoles.delete(o.metadata.name!),
  };

  readonly roleHandler: CacheHandler = {
    upsert: (o) => void this.roles.set(`${o.metadata.namespace}/${o.metadata.name}`, compileAll(o)),
    remove: (o) => void this.roles.delete(`${o.metadata.namespace}/${o.metadata.name}`),
  };

  readonly clusterRoleBindingHandler: CacheHandler = {
    upsert: (o) => this.indexBinding('ClusterRoleBinding', o),
    remove: (o) => this.unindex(`crb:${o.metadata.name}`),
  };

  readonly roleBindingHandler: CacheHandler = {
    upsert: (o) => this.indexBinding('RoleBinding', o),
    remove: (o) => this.unindex(`rb:${o.metadata.namespace}/${o.metadata.name}`),
  };

  private indexBinding(kind: Binding['kind'], o: KubeObject): void {
    const ns = kind === 'RoleBinding' ? o.metadata.namespace : undefined;
    const id = kind === 'RoleBinding' ? `rb:${ns}/${o.metadata.name}` : `crb:${o.metadata.name}`;
    this.unindex(id);
    const ref = (o.roleRef ?? {}) as { kind?: string; name?: string };
    const binding: Binding = { kind, name: o.metadata.name!, namespace: ns, roleKind: ref.kind ?? '', roleName: ref.name ?? '' };
    let index = this.clusterIndex;
    if (ns !== undefined) {
      index = this.namespaceIndex.get(ns) ?? new Map();
      this.namespaceIndex.set(ns, index);
    }
    const entries: IndexEntry[] = [];
    for (const subject of (o.subjects as Subject[] | undefined) ?? []) {
      const key = subject && subjectKey(subject, ns);
      if (!key) continue;
      const entry = { binding, subject };
      let set = index.get(key);
      if (!set) index.set(key, (set = new Set()));
      set.add(entry);
      entries.push(entry);
    }
    this.indexed.set(id, entries);
  }

  private unindex(id: string): void {
    const entries = this.indexed.get(id);
    if (!entries) return;
    this.indexed.delete(id);
    for (const e of entries) {
      const ns = e.binding.namespace;
      const index = ns === undefined ? this.clusterIndex : this.namespaceIndex.get(ns);
      if (!index) continue;
      const key = subjectKey(e.subject, ns)!;
      const set = index.get(key);
      set?.delete(e);
      if (set && set.size === 0) index.delete(key);
      if (ns !== undefined && index.size === 0) this.namespaceIndex.delete(ns);
    }
  }

  private rulesOf(e: IndexEntry, errors: string[]): CompiledRule[] | undefined {
    const b = e.binding;
    if (b.roleKind === 'ClusterRole') {
      const r = this.clusterRoles.get(b.roleName);
      if (!r) errors.push(`clusterrole.rbac.authorization.k8s.io ${JSON.stringify(b.roleName)} not found`);
      return r;
    }
    if (b.roleKind === 'Role' && b.namespace !== undefined) {
      const r = this.roles.get(`${b.namespace}/${b.roleName}`);
      if (!r) errors.push(`role.rbac.authorization.k8s.io ${JSON.stringify(b.roleName)} not found`);
      return r;
    }
    return undefined;
  }

  /** Calls visit for each binding entry that applies to the user; stops when visit returns true. */
  private visit(user: UserInfo, namespace: string | undefined, visit: (e: IndexEntry) => boolean): void {
    const indexes: SubjectIndex[] = [this.clusterIndex];
    if (namespace) {
      const nsIndex = this.namespaceIndex.get(namespace);
      if (nsIndex) indexes.push(nsIndex);
    }
    for (const index of indexes) {
      const own = index.get(`u:${user.username}`);
      if (own) for (const e of own) if (visit(e)) return;
      for (const g of user.groups) {
        const set = index.get(`g:${g}`);
        if (set) for (const e of set) if (visit(e)) return;
      }
    }
  }

  authorize(a: RequestAttributes): Decision {
    const errors: string[] = [];
    let allowedBy: IndexEntry | undefined;
    this.visit(a.user, a.namespace, (e) => {
      const rules = this.rulesOf(e, errors);
      if (rules && rulesAllow(a, rules)) {
        allowedBy = e;
        return true;
      }
      return false;
    });
    if (allowedBy) return { allowed: true, reason: `RBAC: allowed by ${describe(allowedBy)}` };
    if (errors.length === 0) return { allowed: false, reason: '' };
    return { allowed: false, reason: `RBAC: ${errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`}` };
  }

  rulesFor(user: UserInfo, namespace: string): RulesResult {
    const errors: string[] = [];
    const rules: PolicyRule[] = [];
    this.visit(user, namespace || undefined, (e) => {
      for (const r of this.rulesOf(e, errors) ?? []) rules.push(r.source);
      return false;
    });
    const out: RulesResult = { ...toRuleInfos(rules), incomplete: false };
    if (errors.length) out.evaluationError = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
    return out;
  }

  /** The source rules that apply to the user (cluster-wide, plus the namespace's when given): the escalation checks' owner rules. */
  ownRules(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const errors: string[] = [];
    const rules: PolicyRule[] = [];
    this.visit(user, namespace || undefined, (e) => {
      for (const r of this.rulesOf(e, errors) ?? []) rules.push(r.source);
      return false;
    });
    return { rules, errors };
  }

  /** The rules of the role a binding in `namespace` ('' for a ClusterRoleBinding) references. */
  roleRefRules(kind: string, name: string, namespace: string): PolicyRule[] | undefined {
    const compiled = kind === 'ClusterRole' ? this.clusterRoles.get(name) : kind === 'Role' && namespace ? this.roles.get(`${namespace}/${name}`) : undefined;
    return compiled?.map((r) => r.source);
  }

  /** For the benchmark and tests: how many binding objects are indexed. */
  get bindingCount(): number {
    return this.indexed.size;
  }
}
