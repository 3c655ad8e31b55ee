// Which FlowSchema a request falls into: the first, by matchingPrecedence
// then name, one of whose rules matches its user and its verb and target, as
// upstream's apf_controller/rule.go.
import type { ResourceRequest } from '../http/request-info.js';
import type { UserInfo } from '../../auth/user.js';
import { SA_USER_PREFIX } from '../../auth/user.js';
import type { FlowSchema, NonResourcePolicyRule, PolicyRulesWithSubjects, ResourcePolicyRule, Subject } from './types.js';
import { ALL } from './types.js';

/** What classification needs to know of a request. */
export interface RequestDigest {
  user: UserInfo;
  /** The parsed resource request, or undefined for a non-resource path. */
  resource?: ResourceRequest;
  /** Lower-case HTTP method, the verb of a non-resource request. */
  method: string;
  path: string;
}

function subjectMatches(s: Subject, user: UserInfo): boolean {
  switch (s.kind) {
    case 'User':
      return s.user.name === ALL || s.user.name === user.username;
    case 'Group':
      return s.group.name === ALL || user.groups.includes(s.group.name);
    case 'ServiceAccount': {
      const prefix = `${SA_USER_PREFIX}${s.serviceAccount.namespace}:`;
      if (!user.username.startsWith(prefix)) return false;
      const name = user.username.slice(prefix.length);
      return name !== '' && !name.includes(':') && (s.serviceAccount.name === ALL || s.serviceAccount.name === name);
    }
  }
}

const hasOrAll = (list: readonly string[] | undefined, v: string): boolean => list !== undefined && (list.includes(ALL) || list.includes(v));

function resourceRuleMatches(r: ResourcePolicyRule, rr: ResourceRequest): boolean {
  if (!hasOrAll(r.verbs, rr.verb) || !hasOrAll(r.apiGroups, rr.group)) return false;
  const resource = rr.subresource ? `${rr.resource}/${rr.subresource}` : rr.resource;
  if (!hasOrAll(r.resources, resource)) return false;
  if (!rr.namespace) return r.clusterScope === true;
  return hasOrAll(r.namespaces, rr.namespace);
}

function nonResourceRuleMatches(r: NonResourcePolicyRule, verb: string, path: string): boolean {
  if (!hasOrAll(r.verbs, verb)) return false;
  for (const u of r.nonResourceURLs) {
    if (u === ALL || u === path) return true;
    if (u.endsWith('/*') && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

function rulesMatch(p: PolicyRulesWithSubjects, d: RequestDigest): boolean {
  if (!p.subjects.some((s) => subjectMatches(s, d.user))) return false;
  if (d.resource) {
    const rr = d.resource;
    return (p.resourceRules ?? []).some((r) => resourceRuleMatches(r, rr));
  }
  return (p.nonResourceRules ?? []).some((r) => nonResourceRuleMatches(r, d.method, d.path));
}

/** Upstream's order: lower matchingPrecedence first, ties by name. */
export function sortFlowSchemas(schemas: readonly FlowSchema[]): FlowSchema[] {
  return [...schemas].sort((a, b) => a.spec.matchingPrecedence - b.spec.matchingPrecedence || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export interface Classification {
  schema: FlowSchema;
  /** The flow within the schema (username, namespace or nothing, by its distinguisher). */
  distinguisher: string;
}

/** The first matching schema of `sorted` (see sortFlowSchemas); undefined only when none matches (catch-all matches every authenticated or unauthenticated user). */
export function classify(sorted: readonly FlowSchema[], d: RequestDigest): Classification | undefined {
  for (const schema of sorted) {
    if (!schema.spec.rules.some((p) => rulesMatch(p, d))) continue;
    const method = schema.spec.distinguisherMethod?.type;
    const distinguisher = method === 'ByUser' ? d.user.username : method === 'ByNamespace' ? (d.resource?.namespace ?? '') : '';
    return { schema, distinguisher };
  }
  return undefined;
}
