// RBAC's escalation prevention with the real kubectl 1.32: a namespace
// admin may hand out what it holds (edit, view, a Role of pod reads) but not
// cluster-admin, unless it holds `bind` on that role; a Role with rules its
// author lacks needs `escalate`; aggregationRule needs cluster-admin.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { breakdownRule, compactRules, compactString, covers } from '../../src/auth/authz/escalation.js';
import { kubectl, kubectlOk, ok } from './kubectl-auth-helpers.js';

describe('rule coverage (upstream Covers)', () => {
  test('a wildcard owner covers anything; subresources need their own grant or */sub', () => {
    assert.equal(covers([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }]).ok, true);
    assert.equal(covers([{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }]).ok, false);
    assert.equal(covers([{ verbs: ['get'], apiGroups: [''], resources: ['*/log'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }]).ok, true);
  });

  test('resource names: an owner limited to names covers only those names', () => {
    const owner = [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }];
    assert.equal(covers(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }]).ok, true);
    assert.equal(covers(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }]).ok, false);
  });

  test('non-resource URLs match exactly or by a trailing-star prefix', () => {
    const owner = [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/api/*'] }];
    assert.equal(covers(owner, [{ verbs: ['get'], nonResourceURLs: ['/api/v1'] }]).ok, true);
    assert.equal(covers(owner, [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }]).ok, false);
  });

  test('missing pieces are compacted and printed as upstream', () => {
    const { missing } = covers([], [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['secrets'] }]);
    assert.equal(breakdownRule({ verbs: ['get', 'list'], apiGroups: [''], resources: ['secrets'] }).length, 2);
    assert.deepEqual(compactRules(missing).map(compactString), ['{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}']);
  });
});

describe('escalation checks through kubectl', () => {
  let s: TestServer;
  let admin: string;
  let nsAdmin: string;

  before(async () => {
    s = await startTestServer({ secure: true });
    admin = s.kubeconfig;
    await kubectlOk(admin, ['create', 'namespace', 'team']);
    await kubectlOk(admin, ['create', 'rolebinding', 'boss-admin', '--clusterrole=admin', '--user=boss', '-n', 'team']);
    nsAdmin = await s.kubeconfigFor('boss');
    // Warm kubectl's discovery cache so the messages under test are the only requests that fail.
    await kubectlOk(nsAdmin, ['get', 'pods', '-n', 'team']);
  });

  after(async () => {
    await s?.close();
  });

  test('a namespace admin binds roles it holds: edit, view, its own Role', async () => {
    ok(await kubectl(nsAdmin, ['create', 'rolebinding', 'dev-edit', '--clusterrole=edit', '--user=dev', '-n', 'team']), 'bind edit');
    ok(await kubectl(nsAdmin, ['create', 'rolebinding', 'dev-view', '--clusterrole=view', '--user=dev', '-n', 'team']), 'bind view');
    ok(await kubectl(nsAdmin, ['create', 'role', 'pod-reader', '--verb=get,list,watch', '--resource=pods', '-n', 'team']), 'create role');
    ok(await kubectl(nsAdmin, ['create', 'rolebinding', 'dev-pods', '--role=pod-reader', '--user=dev', '-n', 'team']), 'bind own role');
  });

  test('binding cluster-admin is refused with the permissions the author lacks', async () => {
    const r = await kubectl(nsAdmin, ['create', 'rolebinding', 'dev-root', '--clusterrole=cluster-admin', '--user=dev', '-n', 'team']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /rolebindings\.rbac\.authorization\.k8s\.io "dev-root" is forbidden: user "boss" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:/);
    assert.match(r.stderr, /\{APIGroups:\["\*"\], Resources:\["\*"\], Verbs:\["\*"\]\}/);
    assert.match(r.stderr, /\{NonResourceURLs:\["\*"\], Verbs:\["\*"\]\}/);
    const after = await kubectl(admin, ['get', 'rolebinding', 'dev-root', '-n', 'team']);
    assert.equal(after.code, 1, 'nothing was stored');
  });

  test('a Role with rules beyond the author is refused; the refusal names them', async () => {
    const r = await kubectl(nsAdmin, ['create', 'role', 'node-reader', '--verb=get', '--resource=nodes', '-n', 'team']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /roles\.rbac\.authorization\.k8s\.io "node-reader" is forbidden: user "boss" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["nodes"\], Verbs:\["get"\]\}/);
  });

  test('`bind` on a role and `escalate` on roles lift the checks, as upstream', async () => {
    const manifest = join(s.dir, 'binder.yaml');
    await writeFile(
      manifest,
      `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: may-bind-cluster-admin
rules:
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["clusterroles"]
  verbs: ["bind"]
  resourceNames: ["cluster-admin"]
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["roles"]
  verbs: ["escalate"]
`,
    );
    await kubectlOk(admin, ['apply', '-f', manifest]);
    await kubectlOk(admin, ['create', 'rolebinding', 'boss-binder', '--clusterrole=may-bind-cluster-admin', '--user=boss', '-n', 'team']);
    ok(await kubectl(nsAdmin, ['create', 'rolebinding', 'dev-root', '--clusterrole=cluster-admin', '--user=dev', '-n', 'team']), 'bind with `bind`');
    ok(await kubectl(nsAdmin, ['create', 'role', 'node-reader', '--verb=get', '--resource=nodes', '-n', 'team']), 'role with `escalate`');
  });

  test('a ClusterRole with an aggregationRule needs cluster-admin', async () => {
    await kubectlOk(admin, ['create', 'clusterrole', 'role-writer', '--verb=create', '--resource=clusterroles.rbac.authorization.k8s.io']);
    await kubectlOk(admin, ['create', 'clusterrolebinding', 'carol-writer', '--clusterrole=role-writer', '--user=carol']);
    const carol = await s.kubeconfigFor('carol');
    const manifest = join(s.dir, 'aggregate.yaml');
    await writeFile(
      manifest,
      `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: gatherer
aggregationRule:
  clusterRoleSelectors:
  - matchLabels:
      gather: "true"
rules: []
`,
    );
    const r = await kubectl(carol, ['create', '-f', manifest]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /clusterroles\.rbac\.authorization\.k8s\.io "gatherer" is forbidden: must have cluster-admin privileges to use the aggregationRule/);
  });
});
