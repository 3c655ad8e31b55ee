// io.k8s.api.flowcontrol.v1: protobuf field number → JSON property, from the Go structs' protobuf tags.
// See ./table.ts for the notation (a trailing "!" keeps a zero value; "..." inlines a struct).

import type { PackageFields } from './table.js';

const CONDITION = { 1: 'type', 2: 'status', 3: 'lastTransitionTime', 4: 'reason', 5: 'message' };

export const FLOWCONTROL_V1: PackageFields = {
  package: 'io.k8s.api.flowcontrol.v1',
  types: {
    FlowSchema: { 1: 'metadata', 2: 'spec', 3: 'status' },
    FlowSchemaList: { 1: 'metadata', 2: 'items' },
    FlowSchemaSpec: { 1: 'priorityLevelConfiguration', 2: 'matchingPrecedence!', 3: 'distinguisherMethod', 4: 'rules' },
    FlowDistinguisherMethod: { 1: 'type!' },
    PriorityLevelConfigurationReference: { 1: 'name!' },
    PolicyRulesWithSubjects: { 1: 'subjects', 2: 'resourceRules', 3: 'nonResourceRules' },
    Subject: { 1: 'kind!', 2: 'user', 3: 'group', 4: 'serviceAccount' },
    UserSubject: { 1: 'name!' },
    GroupSubject: { 1: 'name!' },
    ServiceAccountSubject: { 1: 'namespace!', 2: 'name!' },
    ResourcePolicyRule: { 1: 'verbs', 2: 'apiGroups', 3: 'resources', 4: 'clusterScope', 5: 'namespaces' },
    NonResourcePolicyRule: { 1: 'verbs', 6: 'nonResourceURLs' },
    FlowSchemaStatus: { 1: 'conditions' },
    FlowSchemaCondition: CONDITION,
    PriorityLevelConfiguration: { 1: 'metadata', 2: 'spec', 3: 'status' },
    PriorityLevelConfigurationList: { 1: 'metadata', 2: 'items' },
    PriorityLevelConfigurationSpec: { 1: 'type!', 2: 'limited', 3: 'exempt' },
    LimitedPriorityLevelConfiguration: { 1: 'nominalConcurrencyShares!', 2: 'limitResponse', 3: 'lendablePercent!', 4: 'borrowingLimitPercent!' },
    ExemptPriorityLevelConfiguration: { 1: 'nominalConcurrencyShares!', 2: 'lendablePercent!' },
    LimitResponse: { 1: 'type!', 2: 'queuing' },
    QueuingConfiguration: { 1: 'queues!', 2: 'handSize!', 3: 'queueLengthLimit!' },
    PriorityLevelConfigurationStatus: { 1: 'conditions' },
    PriorityLevelConfigurationCondition: CONDITION,
  },
};
