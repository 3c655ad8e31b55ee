// Issue #10, end to end with the real kubectl 1.32: impersonation (--as,
// --as-group) is its own authorization check per user, group and service
// account; anonymous requests (--anonymous-auth) get only what RBAC grants
// system:anonymous / system:unauthenticated.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { UNAUTHORIZED, fails, kubectl, kubectlOk, noCredentialsKubeconfig, ok, whoami } from './kubectl-auth-helpers.js';

const FORBIDDEN = 'Error from server (Forbidden): ';

describe('impersonation', () => {
  let s: TestServer;
  let admin: string;
  let viewer: string;
  let editor: string;

  before(async () => {
    s = await startTestServer({ secure: true });
    admin = s.kubeconfig;
    await kubectlOk(admin, ['create', 'namespace', 'team']);
    await kubectlOk(admin, ['create', 'serviceaccount', 'bot', '-n', 'team']);
    await kubectlOk(admin, ['create', 'clusterrolebinding', 'viewer-view', '--clusterrole=view', '--user=viewer']);
    await kubectlOk(admin, ['create', 'rolebinding', 'editor-edit', '--clusterrole=edit', '--user=editor', '-n', 'team']);
    await kubectlOk(admin, ['create', 'rolebinding', 'bot-view', '--clusterrole=view', '--serviceaccount=team:bot', '-n', 'team']);
    viewer = await s.kubeconfigFor('viewer');
    editor = await s.kubeconfigFor('editor');
    // A kubectl that has talked to the cluster before has discovery cached. Without it, kubectl's own
    // discovery requests are impersonated too, get the same 403, and client-go reports it as "unknown"
    // (as against upstream), which would hide the message under test.
    await kubectlOk(viewer, ['get', 'pods', '-n', 'team']);
  });

  after(async () => {
    await s?.close();
  });

  test('the viewer may not impersonate anyone', async () => {
    fails(await kubectl(viewer, ['get', 'pods', '--as=someone']), `${FORBIDDEN}users "someone" is forbidden: User "viewer" cannot impersonate resource "users" in API group "" at the cluster scope`, '--as');
    fails(await kubectl(viewer, ['get', 'pods', '--as=someone', '--as-group=admins']), `${FORBIDDEN}users "someone" is forbidden: User "viewer" cannot impersonate resource "users" in API group "" at the cluster scope`, '--as --as-group');
    // whoami words any refusal of its SelfSubjectReview its own way.
    fails(await kubectl(viewer, ['auth', 'whoami', '--as=someone']), 'error: the selfsubjectreviews API is not enabled in the cluster or you do not have permission to call it', 'whoami --as');
    fails(
      await kubectl(viewer, ['get', 'pods', '-n', 'team', '--as=system:serviceaccount:team:bot']),
      `${FORBIDDEN}serviceaccounts "bot" is forbidden: User "viewer" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "team"`,
      '--as service account',
    );
  });

  test('the admin impersonates a user and groups; whoami shows who it became', async () => {
    assert.deepEqual([...(await whoami(admin, ['--as=x', '--as-group=g']))], [
      ['Username', 'x'],
      ['Groups', '[g system:authenticated]'],
    ]);
    assert.deepEqual([...(await whoami(admin, ['--as=system:serviceaccount:team:bot']))], [
      ['Username', 'system:serviceaccount:team:bot'],
      ['Groups', '[system:serviceaccounts system:serviceaccounts:team system:authenticated]'],
    ]);
  });

  test('impersonating narrows the admin to the impersonated user’s rights', async () => {
    ok(await kubectl(admin, ['get', 'pods', '-n', 'team', '--as=viewer']), 'as viewer: read');
    fails(
      await kubectl(admin, ['create', 'configmap', 'c', '--from-literal=a=b', '-n', 'team', '--as=viewer']),
      'error: failed to create configmap: configmaps is forbidden: User "viewer" cannot create resource "configmaps" in API group "" in the namespace "team"',
      'as viewer: write',
    );
    const r = await kubectl(admin, ['auth', 'can-i', 'create', 'pods', '-n', 'team', '--as=viewer']);
    assert.equal(r.stdout.trim(), 'no');
    const g = await kubectl(admin, ['auth', 'can-i', 'delete', 'nodes', '--as=nobody', '--as-group=system:masters']);
    assert.equal(g.stdout.trim(), 'yes');
  });

  test('edit grants impersonating the service accounts of its namespace, and no others', async () => {
    assert.equal((await whoami(editor, ['--as=system:serviceaccount:team:bot'])).get('Username'), 'system:serviceaccount:team:bot');
    fails(
      await kubectl(editor, ['get', 'pods', '-n', 'kube-system', '--as=system:serviceaccount:kube-system:default']),
      `${FORBIDDEN}serviceaccounts "default" is forbidden: User "editor" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "kube-system"`,
      'editor as a kube-system account',
    );
    fails(await kubectl(editor, ['get', 'pods', '-n', 'team', '--as=viewer']), `${FORBIDDEN}users "viewer" is forbidden: User "editor" cannot impersonate resource "users" in API group "" at the cluster scope`, 'editor as a user');
  });

  test('a user granted impersonation of one group only gets that group', async () => {
    await kubectlOk(admin, ['create', 'clusterrole', 'impersonate-qa', '--verb=impersonate', '--resource=users,groups', '--resource-name=tester', '--resource-name=qa']);
    await kubectlOk(admin, ['create', 'clusterrolebinding', 'viewer-impersonates-qa', '--clusterrole=impersonate-qa', '--user=viewer']);
    assert.equal((await whoami(viewer, ['--as=tester', '--as-group=qa'])).get('Groups'), '[qa system:authenticated]');
    fails(await kubectl(viewer, ['get', 'secrets', '-A', '--as=tester', '--as-group=system:masters']), `${FORBIDDEN}groups "system:masters" is forbidden: User "viewer" cannot impersonate resource "groups" in API group "" at the cluster scope`, 'escalation to system:masters');
  });
});

describe('anonymous requests (--anonymous-auth)', () => {
  let s: TestServer;
  let anon: string;

  before(async () => {
    s = await startTestServer({ secure: true, anonymous: true });
    anon = await noCredentialsKubeconfig(s);
  });

  after(async () => {
    await s?.close();
  });

  test('/version and /healthz work without credentials: system:public-info-viewer binds system:unauthenticated', async () => {
    const v = JSON.parse(ok(await kubectl(anon, ['get', '--raw', '/version']), '/version')) as { major: string; minor: string; gitVersion: string };
    assert.equal(v.major, '1');
    assert.match(v.gitVersion, /^v1\.\d+\.\d+/);
    assert.equal(ok(await kubectl(anon, ['get', '--raw', '/healthz']), '/healthz'), 'ok');
    assert.equal(ok(await kubectl(anon, ['get', '--raw', '/readyz']), '/readyz'), 'ok');
  });

  test('everything else is 403 for system:anonymous', async () => {
    fails(await kubectl(anon, ['get', '--raw', '/api/v1/namespaces/default/pods']), `${FORBIDDEN}pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"`, 'raw list pods');
    fails(await kubectl(anon, ['get', '--raw', '/apis']), `${FORBIDDEN}forbidden: User "system:anonymous" cannot get path "/apis"`, 'discovery');
    // kubectl get pods needs discovery first; client-go reports a 403 there as "unknown", exactly as against upstream.
    const r = await kubectl(anon, ['get', 'pods']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').at(-1), `${FORBIDDEN}unknown`);
    fails(await kubectl(anon, ['auth', 'whoami']), 'error: the selfsubjectreviews API is not enabled in the cluster or you do not have permission to call it', 'whoami');
  });

  test('a bad credential is still 401 with anonymous auth on', async () => {
    fails(await kubectl(await s.kubeconfigWithToken('bogus-token'), ['get', '--raw', '/version']), UNAUTHORIZED, 'bad token');
  });

  test('anonymous access follows RBAC both ways: unbind public-info-viewer, bind view', async () => {
    await kubectlOk(s.kubeconfig, ['delete', 'clusterrolebinding', 'system:public-info-viewer']);
    fails(await kubectl(anon, ['get', '--raw', '/version']), `${FORBIDDEN}forbidden: User "system:anonymous" cannot get path "/version"`, '/version unbound');
    fails(await kubectl(anon, ['get', '--raw', '/healthz']), `${FORBIDDEN}forbidden: User "system:anonymous" cannot get path "/healthz"`, '/healthz unbound');
    await kubectlOk(s.kubeconfig, ['create', 'rolebinding', 'anonymous-view', '--clusterrole=view', '--user=system:anonymous', '-n', 'default']);
    assert.match(ok(await kubectl(anon, ['get', '--raw', '/api/v1/namespaces/default/pods']), 'bound'), /"kind":"PodList"/);
    fails(await kubectl(anon, ['get', '--raw', '/api/v1/namespaces/kube-system/pods']), `${FORBIDDEN}pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "kube-system"`, 'other namespace');
  });
});
