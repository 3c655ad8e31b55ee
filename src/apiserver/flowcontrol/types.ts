// The parts of flowcontrol.apiserver.k8s.io/v1 FlowSchema and
// PriorityLevelConfiguration that classification and dispatch read.

export interface UserSubject {
  kind: 'User';
  user: { name: string };
}
export interface GroupSubject {
  kind: 'Group';
  group: { name: string };
}
export interface ServiceAccountSubject {
  kind: 'ServiceAccount';
  serviceAccount: { namespace: string; name: string };
}
export type Subject = UserSubject | GroupSubject | ServiceAccountSubject;

export interface ResourcePolicyRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  /** Cluster-scoped requests match only when true. */
  clusterScope?: boolean;
  namespaces?: string[];
}

export interface NonResourcePolicyRule {
  verbs: string[];
  nonResourceURLs: string[];
}

export interface PolicyRulesWithSubjects {
  subjects: Subject[];
  resourceRules?: ResourcePolicyRule[];
  nonResourceRules?: NonResourcePolicyRule[];
}

export type DistinguisherMethod = 'ByUser' | 'ByNamespace';

export interface FlowSchemaSpec {
  priorityLevelConfiguration: { name: string };
  matchingPrecedence: number;
  distinguisherMethod?: { type: DistinguisherMethod };
  rules: PolicyRulesWithSubjects[];
}

export interface QueuingConfiguration {
  queues: number;
  handSize: number;
  queueLengthLimit: number;
}

export interface PriorityLevelSpec {
  type: 'Exempt' | 'Limited';
  limited?: {
    nominalConcurrencyShares: number;
    lendablePercent: number;
    limitResponse: { type: 'Queue'; queuing: QueuingConfiguration } | { type: 'Reject' };
  };
  exempt?: { nominalConcurrencyShares: number; lendablePercent: number };
}

export interface FlowSchema {
  name: string;
  uid: string;
  spec: FlowSchemaSpec;
}

export interface PriorityLevel {
  name: string;
  uid: string;
  spec: PriorityLevelSpec;
}

/** Wildcards of the v1 API (VerbAll, APIGroupAll, ResourceAll, NamespaceEvery, NonResourceAll, NameAll). */
export const ALL = '*';
