// Classification against upstream's mandatory and suggested FlowSchemas:
// which schema and priority level each component's requests land in, and
// the nominal seats of each level out of the server's concurrency limit.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PriorityAndFairness, nominalLimits } from '../../../src/apiserver/flowcontrol/filter.js';
import { PRIORITY_LEVELS, FLOW_SCHEMAS } from '../../../src/apiserver/flowcontrol/bootstrap.js';
import { dealHand } from '../../../src/apiserver/flowcontrol/queue-set.js';
import type { ResourceRequest } from '../../../src/apiserver/http/request-info.js';
import type { UserInfo } from '../../../src/auth/user.js';

const apf = new PriorityAndFairness({ serverConcurrencyLimit: 600 });
const AUTH = 'system:authenticated';

const node: UserInfo = { username: 'system:node:n1', groups: ['system:nodes', AUTH] };
const admin: UserInfo = { username: 'admin', groups: ['system:masters', AUTH] };
const scheduler: UserInfo = { username: 'system:kube-scheduler', groups: [AUTH] };
const kcm: UserInfo = { username: 'system:kube-controller-manager', groups: [AUTH] };
const sa = (ns: string, name: string): UserInfo => ({ username: `system:serviceaccount:${ns}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, AUTH] });
const alice: UserInfo = { username: 'alice', groups: [AUTH] };
const anonymous: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

function rr(verb: ResourceRequest['verb'], group: string, resource: string, namespace?: string, subresource?: string): ResourceRequest {
  return { group, version: 'v1', resource, namespace, subresource, verb, rest: [] };
}

function where(user: UserInfo, r: ResourceRequest | undefined, method = 'GET', path = '/'): string {
  const c = apf.classify(user, r, method, path);
  assert.ok(c, 'every request matches a schema');
  return `${c.schema.name} → ${apf.levelOf(c)?.name} [${c.distinguisher}]`;
}

describe('classification by the default FlowSchemas', () => {
  test('node heartbeats (the Lease, the Node and its status) are node-high; the rest of a kubelet\'s requests are system', () => {
    assert.equal(where(node, rr('update', 'coordination.k8s.io', 'leases', 'kube-node-lease')), 'system-node-high → node-high [system:node:n1]');
    assert.equal(where(node, rr('get', 'coordination.k8s.io', 'leases', 'kube-node-lease')), 'system-node-high → node-high [system:node:n1]');
    assert.equal(where(node, rr('patch', '', 'nodes', undefined, 'status')), 'system-node-high → node-high [system:node:n1]');
    assert.equal(where(node, rr('create', '', 'nodes')), 'system-node-high → node-high [system:node:n1]');
    assert.equal(where(node, rr('patch', '', 'pods', 'default', 'status')), 'system-nodes → system [system:node:n1]');
    assert.equal(where(node, rr('create', '', 'events', 'default')), 'system-nodes → system [system:node:n1]');
    assert.equal(where(node, undefined, 'GET', '/api'), 'system-nodes → system [system:node:n1]');
  });

  test('system:masters is exempt whatever it asks; probes are exempt for everyone', () => {
    assert.equal(where(admin, rr('create', '', 'pods', 'default')), 'exempt → exempt []');
    assert.equal(where(admin, undefined, 'GET', '/version'), 'exempt → exempt []');
    assert.equal(where(anonymous, undefined, 'GET', '/healthz'), 'probes → exempt []');
    assert.equal(where(alice, undefined, 'GET', '/readyz'), 'probes → exempt []');
    assert.equal(where(alice, undefined, 'POST', '/readyz'), 'global-default → global-default [alice]');
  });

  test('leader election of the controller manager, the scheduler and kube-system service accounts', () => {
    assert.equal(where(scheduler, rr('update', 'coordination.k8s.io', 'leases', 'kube-system')), 'system-leader-election → leader-election [system:kube-scheduler]');
    assert.equal(where(kcm, rr('get', 'coordination.k8s.io', 'leases', 'kube-system')), 'system-leader-election → leader-election [system:kube-controller-manager]');
    assert.equal(where(kcm, rr('get', '', 'configmaps', 'kube-system')), 'system-leader-election → leader-election [system:kube-controller-manager]');
    // Not a leader-election verb: a LIST of leases is the scheduler's ordinary work.
    assert.equal(where(scheduler, rr('list', 'coordination.k8s.io', 'leases', 'kube-system')), 'kube-scheduler → workload-high [kube-system]');
    assert.equal(where(sa('kube-system', 'my-operator'), rr('update', 'coordination.k8s.io', 'leases', 'apps')), 'system-leader-election → leader-election [system:serviceaccount:kube-system:my-operator]');
    assert.equal(where(sa('kube-system', 'my-operator'), rr('update', '', 'configmaps', 'apps')), 'workload-leader-election → leader-election [system:serviceaccount:kube-system:my-operator]');
  });

  test('controllers and the scheduler are workload-high, one flow per namespace', () => {
    assert.equal(where(scheduler, rr('create', '', 'pods', 'web', 'binding')), 'kube-scheduler → workload-high [web]');
    assert.equal(where(kcm, rr('list', '', 'pods')), 'kube-controller-manager → workload-high []');
    assert.equal(where(sa('kube-system', 'replicaset-controller'), rr('create', '', 'pods', 'web')), 'kube-system-service-accounts → workload-high [web]');
    assert.equal(where(sa('kube-system', 'endpoint-controller'), rr('update', '', 'endpoints', 'web')), 'endpoint-controller → workload-high [system:serviceaccount:kube-system:endpoint-controller]');
    assert.equal(where(kcm, rr('create', '', 'endpoints', 'web')), 'endpoint-controller → workload-high [system:kube-controller-manager]');
  });

  test('other service accounts are workload-low; users and anonymous are global-default', () => {
    assert.equal(where(sa('default', 'app'), rr('list', '', 'configmaps', 'default')), 'service-accounts → workload-low [system:serviceaccount:default:app]');
    // A service account named like kube-system's but of another namespace is not kube-system's.
    assert.equal(where(sa('kube-systemx', 'a'), rr('list', '', 'configmaps', 'default')), 'service-accounts → workload-low [system:serviceaccount:kube-systemx:a]');
    assert.equal(where(alice, rr('create', 'apps', 'deployments', 'default')), 'global-default → global-default [alice]');
    assert.equal(where(anonymous, undefined, 'GET', '/api'), 'global-default → global-default [system:anonymous]');
  });

  test('a user in no group matches nothing but is still served (upstream: no schema, no limit)', () => {
    assert.equal(apf.classify({ username: 'odd', groups: [] }, rr('get', '', 'pods', 'default'), 'GET', '/'), undefined);
  });

  test('nominal seats: ceil(limit × shares / 245) per level; exempt has no limit', () => {
    const limits = Object.fromEntries(nominalLimits(PRIORITY_LEVELS, 600));
    assert.deepEqual(limits, { exempt: Infinity, 'catch-all': 13, system: 74, 'node-high': 98, 'leader-election': 25, 'workload-high': 98, 'workload-low': 245, 'global-default': 49 });
    assert.ok(Object.values(Object.fromEntries(nominalLimits(PRIORITY_LEVELS, 0))).every((v) => v === Infinity), '0: no limit');
  });

  test('every schema names a level that exists, and names and uids are unique', () => {
    const levels = new Set(PRIORITY_LEVELS.map((l) => l.name));
    for (const fs of FLOW_SCHEMAS) assert.ok(levels.has(fs.spec.priorityLevelConfiguration.name), fs.name);
    const uids = [...FLOW_SCHEMAS, ...PRIORITY_LEVELS].map((o) => o.uid);
    assert.equal(new Set(uids).size, uids.length);
    for (const u of uids) assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('shuffle sharding deals distinct queues within the deck', () => {
    for (const h of [0, 1, 12345, 2 ** 52 - 1, 987654321987]) {
      const hand = dealHand(h, 128, 6);
      assert.equal(hand.length, 6);
      assert.equal(new Set(hand).size, 6, `hand ${hand.join(',')} of ${h}`);
      for (const c of hand) assert.ok(c >= 0 && c < 128);
    }
    assert.deepEqual(dealHand(5, 3, 6).sort(), [0, 1, 2], 'a hand larger than the deck is the deck');
  });
});
