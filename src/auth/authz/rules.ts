import type { NonResourceRuleInfo, RequestAttributes, ResourceRuleInfo } from './types.js';

/** rbac.authorization.k8s.io/v1 PolicyRule. */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/**
 * A rule pre-digested for matching: sets instead of arrays and the wildcard
 * checks done once, so a decision is a handful of hash lookups.
 */
export interface CompiledRule {
  readonly source: PolicyRule;
  readonly anyVerb: boolean;
  readonly verbs: ReadonlySet<string>;
  readonly anyGroup: boolean;
  readonly groups: ReadonlySet<string>;
  readonly anyResource: boolean;
  readonly resources: ReadonlySet<string>;
  /** "*\/scale" style entries: any resource's named subresource. */
  readonly anySubresourceOf: ReadonlySet<string>;
  readonly names: ReadonlySet<string> | null;
  readonly anyURL: boolean;
  readonly urls: ReadonlySet<string>;
  readonly urlPrefixes: readonly string[];
}

export function compileRule(r: PolicyRule): CompiledRule {
  const verbs = r.verbs ?? [];
  const groups = r.apiGroups ?? [];
  const resources = r.resources ?? [];
  const urls = r.nonResourceURLs ?? [];
  return {
    source: r,
    anyVerb: verbs.includes('*'),
    verbs: new Set(verbs),
    anyGroup: groups.includes('*'),
    groups: new Set(groups),
    anyResource: resources.includes('*'),
    resources: new Set(resources),
    anySubresourceOf: new Set(resources.filter((x) => x.startsWith('*/')).map((x) => x.slice(2))),
    names: r.resourceNames?.length ? new Set(r.resourceNames) : null,
    anyURL: urls.includes('*'),
    urls: new Set(urls),
    urlPrefixes: urls.filter((u) => u.endsWith('*') && u !== '*').map((u) => u.slice(0, -1)),
  };
}

/** Upstream's RuleAllows: verb, API group, resource (with subresource) and name, or verb and URL. */
export function ruleAllows(a: RequestAttributes, r: CompiledRule): boolean {
  if (!r.anyVerb && !r.verbs.has(a.verb)) return false;
  if (a.resourceRequest) {
    if (!r.anyGroup && !r.groups.has(a.apiGroup ?? '')) return false;
    if (!r.anyResource) {
      const resource = a.resource ?? '';
      const combined = a.subresource ? `${resource}/${a.subresource}` : resource;
      if (!r.resources.has(combined) && !(a.subresource && r.anySubresourceOf.has(a.subresource))) return false;
    }
    return r.names === null || r.names.has(a.name ?? '');
  }
  const path = a.path ?? '';
  if (r.anyURL || r.urls.has(path)) return true;
  for (const p of r.urlPrefixes) if (path.startsWith(p)) return true;
  return false;
}

export function rulesAllow(a: RequestAttributes, rules: readonly CompiledRule[]): boolean {
  for (const r of rules) if (ruleAllows(a, r)) return true;
  return false;
}

/** Splits rules into SelfSubjectRulesReview's resource and non-resource lists. */
export function toRuleInfos(rules: readonly PolicyRule[]): { resourceRules: ResourceRuleInfo[]; nonResourceRules: NonResourceRuleInfo[] } {
  const resourceRules: ResourceRuleInfo[] = [];
  const nonResourceRules: NonResourceRuleInfo[] = [];
  for (const r of rules) {
    if (r.resources?.length) {
      const info: ResourceRuleInfo = { verbs: [...r.verbs], apiGroups: [...(r.apiGroups ?? [])], resources: [...r.resources] };
      if (r.resourceNames?.length) info.resourceNames = [...r.resourceNames];
      resourceRules.push(info);
    }
    if (r.nonResourceURLs?.length) nonResourceRules.push({ verbs: [...r.verbs], nonResourceURLs: [...r.nonResourceURLs] });
  }
  return { resourceRules, nonResourceRules };
}
