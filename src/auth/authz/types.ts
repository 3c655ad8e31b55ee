import type { UserInfo } from '../user.js';
import type { RbacRuleResolver } from './escalation.js';

export interface RequestAttributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  apiGroup?: string;
  apiVersion?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Non-resource requests: the URL path. */
  path?: string;
  /** list/watch: the raw ?fieldSelector, which the Node authorizer reads (spec.nodeName=NODE). */
  fieldSelector?: string;
}

export interface Decision {
  allowed: boolean;
  /** Appended to the 403 message after a colon; empty when nothing is worth saying. */
  reason: string;
}

/** What SelfSubjectRulesReview reports, in the authorization.k8s.io/v1 shapes. */
export interface ResourceRuleInfo {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
}

export interface NonResourceRuleInfo {
  verbs: string[];
  nonResourceURLs: string[];
}

export interface RulesResult {
  resourceRules: ResourceRuleInfo[];
  nonResourceRules: NonResourceRuleInfo[];
  incomplete: boolean;
  evaluationError?: string;
}

export interface Authorizer {
  authorize(a: RequestAttributes): Decision;
  rulesFor(user: UserInfo, namespace: string): RulesResult;
  /** RBAC's own view of a user's rules, for the escalation checks on writes of roles and bindings. */
  rbacRules?: RbacRuleResolver;
}
