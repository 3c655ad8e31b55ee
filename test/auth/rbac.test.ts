import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthorizer, forbiddenError, reconcileBootstrapPolicy, type Authorizer, type RequestAttributes } from '../../src/auth/authz/index.js';
import { roleBindingsInfo, rolesInfo, clusterRoleBindingsInfo, clusterRolesInfo } from '../../src/auth/authz/reconcile.js';
import type { UserInfo } from '../../src/auth/user.js';
import { fakeRegistry } from './fake-registry.js';

const RBAC = 'rbac.authorization.k8s.io';
const registry = fakeRegistry();
let authz: Authorizer & { close(): void };

const who: Record<string, UserInfo> = {
  admin: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
  alice: { username: 'alice', groups: ['system:authenticated'] },
  bob: { username: 'bob', groups: ['system:authenticated'] },
  carol: { username: 'carol', groups: ['system:authenticated'] },
  frank: { username: 'frank', groups: ['system:authenticated'] },
  sa: { username: 'system:serviceaccount:team:builder', groups: ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated'] },
  node: { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] },
  anon: { username: 'system:anonymous', groups: ['system:unauthenticated'] },
  scheduler: { username: 'system:kube-scheduler', groups: ['system:authenticated'] },
  proxy: { username: 'system:kube-proxy', groups: ['system:authenticated'] },
  kcm: { username: 'system:kube-controller-manager', groups: ['system:authenticated'] },
  rsController: { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] },
};

function binding(name: string, ns: string, roleKind: string, role: string, subject: Record<string, string>) {
  return { metadata: { name }, roleRef: { apiGroup: RBAC, kind: roleKind, name: role }, subjects: [subject] };
}

before(async () => {
  await reconcileBootstrapPolicy(registry);
  const rb = registry.fake(roleBindingsInfo);
  await rb.create('team', binding('alice-admin', 'team', 'ClusterRole', 'admin', { kind: 'User', apiGroup: RBAC, name: 'alice' }));
  await rb.create('team', binding('bob-edit', 'team', 'ClusterRole', 'edit', { kind: 'User', apiGroup: RBAC, name: 'bob' }));
  await rb.create('team', binding('carol-view', 'team', 'ClusterRole', 'view', { kind: 'User', apiGroup: RBAC, name: 'carol' }));
  await rb.create('team', binding('builder-reads-pods', 'team', 'Role', 'pod-reader', { kind: 'ServiceAccount', name: 'builder' }));
  await rb.create('team', binding('frank-ghost', 'team', 'Role', 'ghost', { kind: 'User', apiGroup: RBAC, name: 'frank' }));
  await registry.fake(rolesInfo).create('team', { metadata: { name: 'pod-reader' }, rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }] });
  authz = await createAuthorizer(registry);
});

after(() => authz.close());

/** "deployments.apps/scale" → resource, group, subresource; "/path" → non-resource. */
function attrs(user: UserInfo, verb: string, what: string, namespace?: string, name?: string): RequestAttributes {
  if (what.startsWith('/')) return { user, verb, resourceRequest: false, path: what };
  const [gr, subresource] = what.split('/') as [string, string | undefined];
  const dot = gr.indexOf('.');
  const resource = dot < 0 ? gr : gr.slice(0, dot);
  const apiGroup = dot < 0 ? '' : gr.slice(dot + 1);
  return { user, verb, resourceRequest: true, apiGroup, resource, subresource, namespace, name };
}

type Case = [user: string, verb: string, what: string, ns: string | undefined, name: string | undefined, expected: true | string];

// Denials carry the exact message upstream's API server returns for them.
const cases: Case[] = [
  ['alice', 'create', 'pods', 'team', undefined, true],
  ['alice', 'delete', 'secrets', 'team', 'db', true],
  ['alice', 'create', 'roles.rbac.authorization.k8s.io', 'team', undefined, true],
  ['alice', 'create', 'rolebindings.rbac.authorization.k8s.io', 'team', undefined, true],
  ['alice', 'get', 'resourcequotas', 'team', 'q', true],
  ['alice', 'update', 'resourcequotas', 'team', 'q', 'resourcequotas "q" is forbidden: User "alice" cannot update resource "resourcequotas" in API group "" in the namespace "team"'],
  ['alice', 'create', 'pods', 'other', undefined, 'pods is forbidden: User "alice" cannot create resource "pods" in API group "" in the namespace "other"'],
  ['alice', 'list', 'nodes', undefined, undefined, 'nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope'],
  ['alice', 'delete', 'namespaces', 'team', 'team', 'namespaces "team" is forbidden: User "alice" cannot delete resource "namespaces" in API group "" in the namespace "team"'],
  ['alice', 'create', 'localsubjectaccessreviews.authorization.k8s.io', 'team', undefined, true],
  ['alice', 'create', 'deployments.apps', 'team', undefined, true],
  ['alice', 'create', 'pods/exec', 'team', 'web', true],
  ['alice', 'get', 'pods/log', 'team', 'web', true],
  ['alice', 'create', 'selfsubjectaccessreviews.authorization.k8s.io', undefined, undefined, true],
  ['alice', 'create', 'selfsubjectreviews.authentication.k8s.io', undefined, undefined, true],
  ['alice', 'get', '/version', undefined, undefined, true],
  ['alice', 'get', '/apis/apps/v1', undefined, undefined, true],
  ['alice', 'get', '/metrics', undefined, undefined, 'forbidden: User "alice" cannot get path "/metrics"'],
  ['alice', 'create', 'clusterrolebindings.rbac.authorization.k8s.io', undefined, undefined, 'clusterrolebindings.rbac.authorization.k8s.io is forbidden: User "alice" cannot create resource "clusterrolebindings" in API group "rbac.authorization.k8s.io" at the cluster scope'],
  ['bob', 'create', 'deployments.apps', 'team', undefined, true],
  ['bob', 'create', 'roles.rbac.authorization.k8s.io', 'team', undefined, 'roles.rbac.authorization.k8s.io is forbidden: User "bob" cannot create resource "roles" in API group "rbac.authorization.k8s.io" in the namespace "team"'],
  ['bob', 'get', 'secrets', 'team', 'db', true],
  ['bob', 'create', 'serviceaccounts/token', 'team', 'builder', true],
  ['bob', 'create', 'pods/eviction', 'team', 'web', true],
  ['bob', 'update', 'pods/status', 'team', 'web', 'pods "web" is forbidden: User "bob" cannot update resource "pods/status" in API group "" in the namespace "team"'],
  ['bob', 'patch', 'deployments.apps/scale', 'team', 'web', true],
  ['bob', 'impersonate', 'serviceaccounts', 'team', 'builder', true],
  ['bob', 'create', 'localsubjectaccessreviews.authorization.k8s.io', 'team', undefined, 'localsubjectaccessreviews.authorization.k8s.io is forbidden: User "bob" cannot create resource "localsubjectaccessreviews" in API group "authorization.k8s.io" in the namespace "team"'],
  ['carol', 'get', 'pods', 'team', 'web', true],
  ['carol', 'list', 'deployments.apps', 'team', undefined, true],
  ['carol', 'get', 'secrets', 'team', 'db', 'secrets "db" is forbidden: User "carol" cannot get resource "secrets" in API group "" in the namespace "team"'],
  ['carol', 'create', 'pods', 'team', undefined, 'pods is forbidden: User "carol" cannot create resource "pods" in API group "" in the namespace "team"'],
  ['carol', 'create', 'pods/exec', 'team', 'web', 'pods "web" is forbidden: User "carol" cannot create resource "pods/exec" in API group "" in the namespace "team"'],
  ['carol', 'watch', 'events', 'team', undefined, true],
  ['carol', 'get', 'namespaces', 'team', 'team', true],
  ['carol', 'list', 'pods', 'other', undefined, 'pods is forbidden: User "carol" cannot list resource "pods" in API group "" in the namespace "other"'],
  ['sa', 'get', 'pods', 'team', 'web', true],
  ['sa', 'list', 'pods', 'team', undefined, true],
  ['sa', 'delete', 'pods', 'team', 'web', 'pods "web" is forbidden: User "system:serviceaccount:team:builder" cannot delete resource "pods" in API group "" in the namespace "team"'],
  ['sa', 'get', 'secrets', 'team', 'db', 'secrets "db" is forbidden: User "system:serviceaccount:team:builder" cannot get resource "secrets" in API group "" in the namespace "team"'],
  ['sa', 'get', '/.well-known/openid-configuration', undefined, undefined, true],
  ['sa', 'list', 'pods', 'default', undefined, 'pods is forbidden: User "system:serviceaccount:team:builder" cannot list resource "pods" in API group "" in the namespace "default"'],
  ['node', 'get', 'nodes', undefined, 'n1', true],
  ['node', 'get', 'nodes', undefined, 'n2', `nodes "n2" is forbidden: User "system:node:n1" cannot get resource "nodes" in API group "" at the cluster scope: node 'n1' cannot read 'n2', only its own Node object`],
  ['node', 'list', 'nodes', undefined, undefined, `nodes is forbidden: User "system:node:n1" cannot list resource "nodes" in API group "" at the cluster scope: node 'n1' cannot read all nodes, only its own Node object`],
  ['node', 'create', 'events', 'team', undefined, true],
  ['node', 'get', 'secrets', 'team', 'unrelated', `secrets "unrelated" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "team": no relationship found between node 'n1' and this object`],
  ['node', 'list', 'secrets', 'team', undefined, 'secrets is forbidden: User "system:node:n1" cannot list resource "secrets" in API group "" in the namespace "team": No Object name found'],
  ['node', 'create', 'tokenreviews.authentication.k8s.io', undefined, undefined, true],
  ['node', 'get', 'leases.coordination.k8s.io', 'kube-node-lease', 'n1', true],
  ['node', 'update', 'leases.coordination.k8s.io', 'kube-node-lease', 'n2', 'leases.coordination.k8s.io "n2" is forbidden: User "system:node:n1" cannot update resource "leases" in API group "coordination.k8s.io" in the namespace "kube-node-lease": can only access node lease with the same name as the requesting node'],
  ['admin', 'delete', 'nodes', undefined, 'n1', true],
  ['admin', 'get', '/metrics', undefined, undefined, true],
  ['anon', 'get', '/healthz', undefined, undefined, true],
  ['anon', 'get', '/api', undefined, undefined, 'forbidden: User "system:anonymous" cannot get path "/api"'],
  ['anon', 'list', 'pods', 'default', undefined, 'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"'],
  ['scheduler', 'create', 'pods/binding', 'default', 'web', true],
  ['scheduler', 'update', 'leases.coordination.k8s.io', 'kube-system', 'kube-scheduler', true],
  ['scheduler', 'update', 'leases.coordination.k8s.io', 'kube-system', 'other', 'leases.coordination.k8s.io "other" is forbidden: User "system:kube-scheduler" cannot update resource "leases" in API group "coordination.k8s.io" in the namespace "kube-system"'],
  ['scheduler', 'delete', 'secrets', 'default', 'x', 'secrets "x" is forbidden: User "system:kube-scheduler" cannot delete resource "secrets" in API group "" in the namespace "default"'],
  ['proxy', 'list', 'endpointslices.discovery.k8s.io', undefined, undefined, true],
  ['kcm', 'list', 'secrets', undefined, undefined, true],
  ['rsController', 'create', 'pods', 'team', undefined, true],
  ['frank', 'get', 'pods', 'team', 'web', 'pods "web" is forbidden: User "frank" cannot get resource "pods" in API group "" in the namespace "team": RBAC: role.rbac.authorization.k8s.io "ghost" not found'],
];

test(`RBAC matrix against the bootstrap policy (${cases.length} cases)`, () => {
  assert.ok(cases.length >= 40);
  const failures: string[] = [];
  for (const [u, verb, what, ns, name, expected] of cases) {
    const a = attrs(who[u]!, verb, what, ns, name);
    const d = authz.authorize(a);
    const label = `${u} ${verb} ${what}${ns ? ` -n ${ns}` : ''}${name ? ` ${name}` : ''}`;
    if (expected === true) {
      if (!d.allowed) failures.push(`${label}: expected allow, got deny (${d.reason})`);
    } else if (d.allowed) failures.push(`${label}: expected deny, got allow (${d.reason})`);
    else {
      const msg = forbiddenError(a, d.reason).message;
      if (msg !== expected) failures.push(`${label}:\n   got ${msg}\n  want ${expected}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('a 403 Status carries group, kind and name as upstream', () => {
  const e = forbiddenError(attrs(who.carol!, 'get', 'deployments.apps', 'team', 'web'));
  assert.equal(e.code, 403);
  assert.deepEqual(e.toStatus().details, { name: 'web', group: 'apps', kind: 'deployments' });
});

test('allowed decisions name the binding, as SubjectAccessReview reasons do', () => {
  const d = authz.authorize(attrs(who.alice!, 'get', 'pods', 'team', 'web'));
  assert.equal(d.reason, 'RBAC: allowed by RoleBinding "alice-admin/team" of ClusterRole "admin" to User "alice"');
});

test('aggregation: admin ⊇ edit ⊇ view, and a new labelled role joins them live', async () => {
  const roles = registry.fake(clusterRolesInfo);
  const get = async (n: string) => ((await roles.get(undefined, n)).rules as unknown[]).length;
  assert.ok((await get('view')) > 5);
  assert.ok((await get('edit')) > (await get('view')));
  assert.ok((await get('admin')) > (await get('edit')));
  await roles.create(undefined, {
    metadata: { name: 'widgets-view', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
    rules: [{ verbs: ['get'], apiGroups: ['example.com'], resources: ['widgets'] }],
  });
  const a = attrs(who.carol!, 'get', 'widgets.example.com', 'team', 'w');
  const b = attrs(who.alice!, 'get', 'widgets.example.com', 'team', 'w');
  // The aggregation controller runs on the next turns of the event loop; wait for its writes to arrive, without a clock.
  for (let i = 0; i < 1000 && !(authz.authorize(a).allowed && authz.authorize(b).allowed); i++) await new Promise((r) => setImmediate(r));
  assert.ok(authz.authorize(a).allowed, 'view aggregated the new role');
  assert.ok(authz.authorize(b).allowed, 'admin aggregated it through edit');
});

test('binding changes apply to the next decision', async () => {
  const a = attrs(who.carol!, 'list', 'nodes');
  assert.equal(authz.authorize(a).allowed, false);
  const crb = registry.fake(clusterRoleBindingsInfo);
  await crb.create(undefined, binding('carol-nodes', '', 'ClusterRole', 'system:node-proxier', { kind: 'User', apiGroup: RBAC, name: 'carol' }));
  assert.equal(authz.authorize(a).allowed, true);
  await crb.delete(undefined, 'carol-nodes');
  assert.equal(authz.authorize(a).allowed, false);
});

test('rulesFor lists what kubectl auth can-i --list shows', () => {
  const r = authz.rulesFor(who.sa!, 'team');
  assert.equal(r.incomplete, false);
  assert.ok(r.resourceRules.some((x) => x.resources.includes('pods') && x.verbs.includes('list')));
  assert.ok(r.resourceRules.some((x) => x.resources.includes('selfsubjectaccessreviews')));
  assert.ok(r.nonResourceRules.some((x) => x.nonResourceURLs.includes('/api')));
  const n = authz.rulesFor(who.node!, 'team');
  assert.equal(n.incomplete, true);
});

test('reconciling again keeps admin edits and user-owned roles', async () => {
  const roles = registry.fake(clusterRolesInfo);
  await roles.update(undefined, 'system:kube-dns', (cur) => {
    (cur.rules as unknown[]).push({ verbs: ['get'], apiGroups: [''], resources: ['pods'] });
    return cur;
  });
  await reconcileBootstrapPolicy(registry);
  const dns = await roles.get(undefined, 'system:kube-dns');
  assert.equal((dns.rules as unknown[]).length, 2);
  assert.equal(dns.metadata.annotations?.['rbac.authorization.kubernetes.io/autoupdate'], 'true');
  assert.equal(dns.metadata.labels?.['kubernetes.io/bootstrapping'], 'rbac-defaults');
});

test('review kinds: whoami, can-i and can-i --list answers', async () => {
  const { selfSubjectReview, selfSubjectAccessReview, selfSubjectRulesReview, localSubjectAccessReview } = await import('../../src/auth/reviews.js');
  assert.deepEqual(selfSubjectReview(who.sa!).status, { userInfo: { username: 'system:serviceaccount:team:builder', groups: ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated'] } });
  const ssar = selfSubjectAccessReview({ metadata: {}, spec: { resourceAttributes: { namespace: 'team', verb: 'list', resource: 'pods' } } }, who.carol!, authz);
  assert.equal(ssar.kind, 'SelfSubjectAccessReview');
  assert.equal((ssar.status as { allowed: boolean }).allowed, true);
  const denied = selfSubjectAccessReview({ metadata: {}, spec: { resourceAttributes: { namespace: 'team', verb: 'get', resource: 'secrets' } } }, who.carol!, authz);
  assert.deepEqual(denied.status, { allowed: false });
  const rules = selfSubjectRulesReview({ metadata: {}, spec: { namespace: 'team' } }, who.carol!, authz);
  assert.equal((rules.status as { incomplete: boolean }).incomplete, false);
  assert.throws(() => localSubjectAccessReview({ metadata: {}, spec: { user: 'x', resourceAttributes: { namespace: 'a', verb: 'get', resource: 'pods' } } }, 'b', authz), /must match namespace: b/);
});
