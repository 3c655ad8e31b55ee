// Upstream's mandatory and suggested API Priority and Fairness configuration
// (apiserver/pkg/apis/flowcontrol/bootstrap/default.go, v1): the levels node
// heartbeats, leader election, controllers and everyone else are served at,
// and the FlowSchemas that sort requests into them.
import { createHash } from 'node:crypto';
import type { FlowSchema, NonResourcePolicyRule, PolicyRulesWithSubjects, PriorityLevel, PriorityLevelSpec, ResourcePolicyRule, Subject, DistinguisherMethod } from './types.js';
import { ALL } from './types.js';
import { ALL_AUTHENTICATED, ALL_SERVICE_ACCOUNTS, ALL_UNAUTHENTICATED, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER, NODES_GROUP, SYSTEM_MASTERS } from '../../auth/user.js';

/**
 * A stable uid per object name: the response headers name the FlowSchema and
 * priority level by uid, and a restart should not change what they say.
 */
function uidFor(kind: string, name: string): string {
  const h = createHash('sha1').update(`flowcontrol.apiserver.k8s.io/${kind}/${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

function limited(shares: number, lendable: number, queuing?: { queues: number; handSize: number; queueLengthLimit: number }): PriorityLevelSpec {
  return {
    type: 'Limited',
    limited: { nominalConcurrencyShares: shares, lendablePercent: lendable, limitResponse: queuing ? { type: 'Queue', queuing } : { type: 'Reject' } },
  };
}

function level(name: string, spec: PriorityLevelSpec): PriorityLevel {
  return { name, uid: uidFor('prioritylevelconfigurations', name), spec };
}

export const PRIORITY_LEVELS: readonly PriorityLevel[] = [
  // Mandatory.
  level('exempt', { type: 'Exempt', exempt: { nominalConcurrencyShares: 0, lendablePercent: 0 } }),
  level('catch-all', limited(5, 0)),
  // Suggested.
  level('system', limited(30, 33, { queues: 64, handSize: 6, queueLengthLimit: 50 })),
  // Separate from "system" so that nodes can report their health while pod start-up load fills "system".
  level('node-high', limited(40, 25, { queues: 64, handSize: 6, queueLengthLimit: 50 })),
  level('leader-election', limited(10, 0, { queues: 16, handSize: 4, queueLengthLimit: 50 })),
  level('workload-high', limited(40, 50, { queues: 128, handSize: 6, queueLengthLimit: 50 })),
  level('workload-low', limited(100, 90, { queues: 128, handSize: 6, queueLengthLimit: 50 })),
  level('global-default', limited(20, 50, { queues: 128, handSize: 6, queueLengthLimit: 50 })),
];

const groups = (...names: string[]): Subject[] => names.map((name) => ({ kind: 'Group', group: { name } }));
const users = (...names: string[]): Subject[] => names.map((name) => ({ kind: 'User', user: { name } }));
const kubeSystemServiceAccounts = (...names: string[]): Subject[] => names.map((name) => ({ kind: 'ServiceAccount', serviceAccount: { namespace: 'kube-system', name } }));
const resourceRule = (verbs: string[], apiGroups: string[], resources: string[], namespaces: string[], clusterScope: boolean): ResourcePolicyRule => ({ verbs, apiGroups, resources, namespaces, clusterScope });
const nonResourceRule = (verbs: string[], nonResourceURLs: string[]): NonResourcePolicyRule => ({ verbs, nonResourceURLs });
const everything = (subjects: Subject[]): PolicyRulesWithSubjects => ({
  subjects,
  resourceRules: [resourceRule([ALL], [ALL], [ALL], [ALL], true)],
  nonResourceRules: [nonResourceRule([ALL], [ALL])],
});
const GET_CREATE_UPDATE = ['get', 'create', 'update'];

function schema(name: string, level: string, precedence: number, distinguisher: DistinguisherMethod | undefined, ...rules: PolicyRulesWithSubjects[]): FlowSchema {
  return {
    name,
    uid: uidFor('flowschemas', name),
    spec: { priorityLevelConfiguration: { name: level }, matchingPrecedence: precedence, ...(distinguisher ? { distinguisherMethod: { type: distinguisher } } : {}), rules },
  };
}

export const FLOW_SCHEMAS: readonly FlowSchema[] = [
  // Mandatory: system:masters is never queued (no priority inversion for the admin); everything else falls to catch-all.
  schema('exempt', 'exempt', 1, undefined, everything(groups(SYSTEM_MASTERS))),
  schema('catch-all', 'catch-all', 10000, 'ByUser', everything(groups(ALL_UNAUTHENTICATED, ALL_AUTHENTICATED))),
  // Suggested.
  schema('probes', 'exempt', 2, undefined, { subjects: groups(ALL_UNAUTHENTICATED, ALL_AUTHENTICATED), nonResourceRules: [nonResourceRule(['get'], ['/healthz', '/readyz', '/livez'])] }),
  schema('system-leader-election', 'leader-election', 100, 'ByUser', {
    subjects: [...users(KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER), ...kubeSystemServiceAccounts(ALL)],
    resourceRules: [resourceRule(GET_CREATE_UPDATE, [''], ['endpoints', 'configmaps'], ['kube-system'], false), resourceRule(GET_CREATE_UPDATE, ['coordination.k8s.io'], ['leases'], [ALL], false)],
  }),
  schema('endpoint-controller', 'workload-high', 150, 'ByUser', {
    subjects: [...users(KUBE_CONTROLLER_MANAGER), ...kubeSystemServiceAccounts('endpoint-controller', 'endpointslicemirroring-controller')],
    resourceRules: [resourceRule(GET_CREATE_UPDATE, [''], ['endpoints'], [ALL], false)],
  }),
  schema('workload-leader-election', 'leader-election', 200, 'ByUser', {
    subjects: kubeSystemServiceAccounts(ALL),
    resourceRules: [resourceRule(GET_CREATE_UPDATE, [''], ['endpoints', 'configmaps'], [ALL], false), resourceRule(GET_CREATE_UPDATE, ['coordination.k8s.io'], ['leases'], [ALL], false)],
  }),
  // Node heartbeats: the Node object (status) and the node's Lease.
  schema('system-node-high', 'node-high', 400, 'ByUser', {
    subjects: groups(NODES_GROUP),
    resourceRules: [resourceRule([ALL], [''], ['nodes', 'nodes/status'], [ALL], true), resourceRule([ALL], ['coordination.k8s.io'], ['leases'], [ALL], false)],
  }),
  schema('system-nodes', 'system', 500, 'ByUser', everything(groups(NODES_GROUP))),
  schema('kube-controller-manager', 'workload-high', 800, 'ByNamespace', everything(users(KUBE_CONTROLLER_MANAGER))),
  schema('kube-scheduler', 'workload-high', 800, 'ByNamespace', everything(users(KUBE_SCHEDULER))),
  schema('kube-system-service-accounts', 'workload-high', 900, 'ByNamespace', everything(kubeSystemServiceAccounts(ALL))),
  schema('service-accounts', 'workload-low', 9000, 'ByUser', everything(groups(ALL_SERVICE_ACCOUNTS))),
  schema('global-default', 'global-default', 9900, 'ByUser', everything(groups(ALL_UNAUTHENTICATED, ALL_AUTHENTICATED))),
];
