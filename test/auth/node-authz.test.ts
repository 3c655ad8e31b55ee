import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { createAuthorizer, forbiddenError, reconcileBootstrapPolicy, type Authorizer, type RequestAttributes } from '../../src/auth/authz/index.js';
import { impersonate } from '../../src/auth/authn/index.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import type { UserInfo } from '../../src/auth/user.js';
import { StatusError } from '../../src/api/errors.js';
import { fakeRegistry } from './fake-registry.js';

const registry = fakeRegistry();
const pods = registry.fake(resourceFor('', 'v1', 'pods')!);
const pvcs = registry.fake(resourceFor('', 'v1', 'persistentvolumeclaims')!);
let authz: Authorizer & { close(): void };
const nodeA: UserInfo = { username: 'system:node:a', groups: ['system:nodes', 'system:authenticated'] };

function podOn(name: string, node: string, spec: Record<string, unknown>) {
  return { metadata: { name }, spec: { nodeName: node, serviceAccountName: 'default', containers: [{ name: 'c', image: 'busybox' }], ...spec } };
}

before(async () => {
  await reconcileBootstrapPolicy(registry);
  await pvcs.create('apps', { metadata: { name: 'data' }, spec: { volumeName: 'pv-data' } });
  await pods.create(
    'apps',
    podOn('a-web', 'a', {
      imagePullSecrets: [{ name: 'registry-creds' }],
      containers: [{ name: 'c', image: 'x', env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'db-password', key: 'p' } } }], envFrom: [{ configMapRef: { name: 'settings' } }] }],
      volumes: [
        { name: 'd', persistentVolumeClaim: { claimName: 'data' } },
        { name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token' } }, { configMap: { name: 'kube-root-ca.crt' } }] } },
      ],
    }),
  );
  await pods.create('apps', podOn('b-web', 'b', { volumes: [{ name: 's', secret: { secretName: 'b-only' } }] }));
  await pods.create('apps', { metadata: { name: 'pending' }, spec: { containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 's', secret: { secretName: 'pending-secret' } }] } });
  authz = await createAuthorizer(registry);
});

after(() => authz.close());

function res(verb: string, resource: string, namespace: string | undefined, name: string | undefined, extra: Partial<RequestAttributes> = {}): RequestAttributes {
  return { user: nodeA, verb, resourceRequest: true, apiGroup: '', resource, namespace, name, ...extra };
}

const allowed = (a: RequestAttributes) => authz.authorize(a).allowed;

test('node a reads what its pods use, and nothing else', () => {
  assert.ok(allowed(res('get', 'secrets', 'apps', 'registry-creds')));
  assert.ok(allowed(res('get', 'secrets', 'apps', 'db-password')));
  assert.ok(allowed(res('watch', 'secrets', 'apps', 'db-password')));
  assert.ok(allowed(res('get', 'configmaps', 'apps', 'settings')));
  assert.ok(allowed(res('get', 'configmaps', 'apps', 'kube-root-ca.crt')));
  assert.ok(allowed(res('get', 'persistentvolumeclaims', 'apps', 'data')));
  assert.ok(allowed(res('get', 'persistentvolumes', undefined, 'pv-data')));
  assert.ok(allowed(res('create', 'serviceaccounts', 'apps', 'default', { subresource: 'token' })));
  for (const [r, n] of [['secrets', 'b-only'], ['secrets', 'pending-secret'], ['secrets', 'unused'], ['configmaps', 'other'], ['persistentvolumeclaims', 'other']] as const) {
    const a = res('get', r, 'apps', n);
    const d = authz.authorize(a);
    assert.equal(d.allowed, false, `${r}/${n}`);
    assert.equal(forbiddenError(a, d.reason).message, `${r} "${n}" is forbidden: User "system:node:a" cannot get resource "${r}" in API group "" in the namespace "apps": no relationship found between node 'a' and this object`);
  }
  assert.equal(allowed(res('update', 'secrets', 'apps', 'db-password')), false);
  assert.equal(allowed(res('list', 'secrets', 'apps', undefined)), false);
});

test('node a cannot touch node b, its lease or its pods', () => {
  assert.ok(allowed(res('get', 'nodes', undefined, 'a')));
  assert.equal(allowed(res('get', 'nodes', undefined, 'b')), false);
  assert.ok(allowed(res('get', 'pods', 'apps', 'a-web')));
  assert.ok(allowed(res('update', 'pods', 'apps', 'a-web', { subresource: 'status' })));
  assert.equal(allowed(res('get', 'pods', 'apps', 'b-web')), false);
  // As upstream: the authorizer lets status writes through and NodeRestriction admission refuses another node's pod.
  assert.ok(allowed(res('patch', 'pods', 'apps', 'b-web', { subresource: 'status' })));
  assert.equal(allowed(res('get', 'pods', 'apps', 'a-web', { subresource: 'status' })), false);
  assert.equal(allowed(res('get', 'nodes', undefined, 'a', { subresource: 'status' })), false);
  assert.ok(allowed(res('patch', 'nodes', undefined, 'a', { subresource: 'status' })));
  assert.ok(allowed(res('list', 'pods', 'apps', undefined, { fieldSelector: 'metadata.name=a-web' })));
  assert.equal(allowed(res('list', 'pods', 'apps', undefined, { fieldSelector: 'metadata.name=b-web' })), false);
  assert.ok(allowed(res('get', 'csinodes', undefined, 'a', { apiGroup: 'storage.k8s.io' })));
  assert.equal(allowed(res('get', 'csinodes', undefined, 'b', { apiGroup: 'storage.k8s.io' })), false);
  assert.equal(allowed(res('update', 'leases', 'kube-node-lease', 'b', { apiGroup: 'coordination.k8s.io' })), false);
  assert.ok(allowed(res('update', 'leases', 'kube-node-lease', 'a', { apiGroup: 'coordination.k8s.io' })));
  assert.ok(allowed(res('list', 'pods', undefined, undefined, { fieldSelector: 'spec.nodeName=a' })));
  assert.equal(allowed(res('list', 'pods', undefined, undefined, { fieldSelector: 'spec.nodeName=b' })), false);
  assert.equal(allowed(res('list', 'pods', undefined, undefined)), false);
  assert.equal(allowed(res('delete', 'secrets', 'apps', 'db-password')), false);
});

test('the graph follows pod changes: a pod moving off the node takes its secrets along', async () => {
  await pods.create('apps', podOn('later', 'a', { volumes: [{ name: 's', secret: { secretName: 'late-secret' } }] }));
  assert.ok(allowed(res('get', 'secrets', 'apps', 'late-secret')));
  await pods.delete('apps', 'later');
  assert.equal(allowed(res('get', 'secrets', 'apps', 'late-secret')), false);
  // Shared references are counted: deleting one of two pods keeps the secret readable.
  await pods.create('apps', podOn('twin', 'a', { imagePullSecrets: [{ name: 'registry-creds' }] }));
  await pods.delete('apps', 'twin');
  assert.ok(allowed(res('get', 'secrets', 'apps', 'registry-creds')));
});

function headers(h: Record<string, string | string[]>): IncomingMessage {
  const raw: string[] = [];
  const lower: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) {
    for (const x of Array.isArray(v) ? v : [v]) raw.push(k, x);
    lower[k.toLowerCase()] = v;
  }
  return { headers: lower, rawHeaders: raw } as unknown as IncomingMessage;
}

test('impersonation: allowed for admins, 403 with upstream text otherwise', async () => {
  const admin: UserInfo = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
  const u = await impersonate(headers({ 'Impersonate-User': 'jane', 'Impersonate-Group': ['devs', 'ops'], 'Impersonate-Extra-Scopes': 'view' }), admin, authz);
  assert.deepEqual(u, { username: 'jane', groups: ['devs', 'ops', 'system:authenticated'], extra: { scopes: ['view'] } });
  const sa = await impersonate(headers({ 'Impersonate-User': 'system:serviceaccount:apps:default' }), admin, authz);
  assert.deepEqual(sa.groups, ['system:serviceaccounts', 'system:serviceaccounts:apps', 'system:authenticated']);
  const same = { username: 'x', groups: [] };
  assert.equal(await impersonate(headers({}), same, authz), same);

  const carol: UserInfo = { username: 'carol', groups: ['system:authenticated'] };
  await assert.rejects(impersonate(headers({ 'Impersonate-User': 'jane' }), carol, authz), (e: unknown) => {
    assert.ok(e instanceof StatusError);
    assert.equal(e.code, 403);
    assert.equal(e.message, 'users "jane" is forbidden: User "carol" cannot impersonate resource "users" in API group "" at the cluster scope');
    return true;
  });
  await assert.rejects(impersonate(headers({ 'Impersonate-User': 'system:serviceaccount:apps:default' }), carol, authz), (e: unknown) => {
    assert.equal((e as StatusError).message, 'serviceaccounts "default" is forbidden: User "carol" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "apps"');
    return true;
  });
});
