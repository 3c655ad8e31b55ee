// Issue #10, end to end with the real kubectl 1.32: who may do what on a
// secure server (TLS, client certificates and service account tokens, RBAC
// with the bootstrap policy, the Node authorizer), one kubeconfig per
// identity. Every refusal is checked against upstream's exact 403 text.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { canIListRows, fails, kubectl, kubectlOk, ok, whoami, type Identities } from './kubectl-auth-helpers.js';

let s: TestServer;
const id = {} as Identities;

const FORBIDDEN = 'Error from server (Forbidden): ';

const fixtures = {
  apiVersion: 'v1',
  kind: 'List',
  items: [
    ...['team', 'other'].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })),
    // No service account controller runs here, so the accounts pods need are made by hand.
    ...['team', 'other', 'default'].map((namespace) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } })),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'bot', namespace: 'team' } },
    ...['team', 'other', 'default'].map((namespace) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace }, data: { a: 'b' } })),
    ...['team', 'default'].map((namespace) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec', namespace }, stringData: { password: 'hunter2' } })),
    ...['team', 'other', 'default'].map((namespace) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'seed', namespace }, spec: { containers: [{ name: 'c', image: 'busybox' }] } })),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'team' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    },
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'viewer-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'viewer' }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'editor-edit', namespace: 'team' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'editor' }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'bot-edit', namespace: 'team' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'ServiceAccount', name: 'bot', namespace: 'team' }],
    },
  ],
};

before(async () => {
  s = await startTestServer({ secure: true });
  id.admin = s.kubeconfig;
  await kubectlOk(id.admin, ['create', '-f', '-'], { input: JSON.stringify(fixtures) });
  id.viewer = await s.kubeconfigFor('viewer', ['qa']);
  id.editor = await s.kubeconfigFor('editor');
  id.node = await s.kubeconfigFor('system:node:n1', ['system:nodes']);
  const token = (await kubectlOk(id.admin, ['create', 'token', 'bot', '-n', 'team'])).trim();
  assert.match(token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  id.sa = await s.kubeconfigWithToken(token);
});

after(async () => {
  await s?.close();
});

type Who = keyof Identities;
type Case =
  | { who: Who; args: string[]; allowed: true; stdout?: RegExp }
  | { who: Who; args: string[]; allowed: false; stderr: string }
  | { who: Who; canI: string[]; answer: 'yes' | 'no' };

const pod = (name: string, namespace: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });

// [identity, kubectl arguments, expectation]; stdin for `create -f -` in `input`.
const MATRIX: (Case & { input?: string })[] = [
  // admin (system:masters): everything, everywhere.
  { who: 'admin', args: ['get', 'pods', '-n', 'team'], allowed: true, stdout: /^seed\s/m },
  { who: 'admin', args: ['get', 'secret', 'sec', '-n', 'team'], allowed: true },
  { who: 'admin', args: ['create', 'configmap', 'by-admin', '--from-literal=a=b', '-n', 'other'], allowed: true },
  { who: 'admin', args: ['get', 'nodes'], allowed: true, stdout: /^n1\s/m },
  { who: 'admin', args: ['create', 'namespace', 'made-by-admin'], allowed: true },
  { who: 'admin', args: ['create', 'clusterrole', 'tmp-role', '--verb=get', '--resource=pods'], allowed: true },
  { who: 'admin', args: ['delete', 'clusterrole', 'tmp-role'], allowed: true },
  { who: 'admin', canI: ['*', '*'], answer: 'yes' },

  // viewer: ClusterRole view through a ClusterRoleBinding — reads (not secrets) in every namespace.
  { who: 'viewer', args: ['get', 'pods', '-n', 'team'], allowed: true, stdout: /^seed\s/m },
  { who: 'viewer', args: ['get', 'pods', '-A'], allowed: true, stdout: /^other\s+seed\s/m },
  { who: 'viewer', args: ['get', 'configmap', 'cm', '-n', 'other'], allowed: true },
  { who: 'viewer', args: ['get', 'deployments', '-n', 'team'], allowed: true, stdout: /^web\s/m },
  { who: 'viewer', args: ['get', 'namespaces'], allowed: true, stdout: /^team\s/m },
  { who: 'viewer', args: ['get', 'secrets', '-n', 'team'], allowed: false, stderr: `${FORBIDDEN}secrets is forbidden: User "viewer" cannot list resource "secrets" in API group "" in the namespace "team"` },
  { who: 'viewer', args: ['get', 'secret', 'sec', '-n', 'team'], allowed: false, stderr: `${FORBIDDEN}secrets "sec" is forbidden: User "viewer" cannot get resource "secrets" in API group "" in the namespace "team"` },
  { who: 'viewer', args: ['run', 'nope', '--image=busybox'], allowed: false, stderr: `${FORBIDDEN}pods is forbidden: User "viewer" cannot create resource "pods" in API group "" in the namespace "default"` },
  {
    who: 'viewer',
    args: ['create', 'configmap', 'nope', '--from-literal=a=b'],
    allowed: false,
    stderr: 'error: failed to create configmap: configmaps is forbidden: User "viewer" cannot create resource "configmaps" in API group "" in the namespace "default"',
  },
  { who: 'viewer', args: ['delete', 'pod', 'seed', '-n', 'team'], allowed: false, stderr: `${FORBIDDEN}pods "seed" is forbidden: User "viewer" cannot delete resource "pods" in API group "" in the namespace "team"` },
  {
    who: 'viewer',
    args: ['patch', 'deployment', 'web', '-n', 'team', '-p', '{"spec":{"replicas":2}}'],
    allowed: false,
    stderr: `${FORBIDDEN}deployments.apps "web" is forbidden: User "viewer" cannot patch resource "deployments" in API group "apps" in the namespace "team"`,
  },
  {
    who: 'viewer',
    args: ['scale', 'deployment', 'web', '-n', 'team', '--replicas=3'],
    allowed: false,
    stderr: `${FORBIDDEN}deployments.apps "web" is forbidden: User "viewer" cannot patch resource "deployments/scale" in API group "apps" in the namespace "team"`,
  },
  { who: 'viewer', args: ['get', 'nodes'], allowed: false, stderr: `${FORBIDDEN}nodes is forbidden: User "viewer" cannot list resource "nodes" in API group "" at the cluster scope` },
  { who: 'viewer', args: ['create', 'namespace', 'nope'], allowed: false, stderr: `${FORBIDDEN}namespaces is forbidden: User "viewer" cannot create resource "namespaces" in API group "" at the cluster scope` },
  {
    who: 'viewer',
    args: ['get', 'clusterroles'],
    allowed: false,
    stderr: `${FORBIDDEN}clusterroles.rbac.authorization.k8s.io is forbidden: User "viewer" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope`,
  },
  { who: 'viewer', canI: ['create', 'pods'], answer: 'no' },
  { who: 'viewer', canI: ['list', 'pods', '-n', 'other'], answer: 'yes' },
  { who: 'viewer', canI: ['get', 'pods', '--subresource=log'], answer: 'yes' },
  { who: 'viewer', canI: ['create', 'pods', '--subresource=exec'], answer: 'no' },
  { who: 'viewer', canI: ['get', 'secrets'], answer: 'no' },
  { who: 'viewer', canI: ['list', 'pods.metrics.k8s.io', '-n', 'other'], answer: 'yes' },
  { who: 'viewer', canI: ['list', 'nodes.metrics.k8s.io'], answer: 'yes' },

  // editor: ClusterRole edit through a RoleBinding in "team" only.
  { who: 'editor', args: ['run', 'by-editor', '--image=busybox', '-n', 'team'], allowed: true, stdout: /^pod\/by-editor created$/m },
  { who: 'editor', args: ['create', 'configmap', 'by-editor', '--from-literal=a=b', '-n', 'team'], allowed: true },
  { who: 'editor', args: ['create', 'secret', 'generic', 'by-editor', '--from-literal=a=b', '-n', 'team'], allowed: true },
  { who: 'editor', args: ['get', 'secret', 'sec', '-n', 'team'], allowed: true, stdout: /^sec\s+Opaque/m },
  { who: 'editor', args: ['create', 'deployment', 'by-editor', '--image=nginx', '-n', 'team'], allowed: true },
  { who: 'editor', args: ['patch', 'deployment', 'web', '-n', 'team', '-p', '{"spec":{"replicas":2}}'], allowed: true, stdout: /^deployment.apps\/web patched$/m },
  { who: 'editor', args: ['scale', 'deployment', 'web', '-n', 'team', '--replicas=3'], allowed: true, stdout: /^deployment.apps\/web scaled$/m },
  { who: 'editor', args: ['delete', 'pod', 'by-editor', '-n', 'team'], allowed: true },
  { who: 'editor', args: ['get', 'namespace', 'team'], allowed: true, stdout: /^team\s+Active/m },
  { who: 'editor', args: ['get', 'resourcequotas', '-n', 'team'], allowed: true },
  { who: 'editor', args: ['get', 'pods', '-n', 'other'], allowed: false, stderr: `${FORBIDDEN}pods is forbidden: User "editor" cannot list resource "pods" in API group "" in the namespace "other"` },
  {
    who: 'editor',
    args: ['create', 'secret', 'generic', 'nope', '--from-literal=a=b', '-n', 'other'],
    allowed: false,
    // kubectl's own wording for this command has no colon after "secret".
    stderr: 'error: failed to create secret secrets is forbidden: User "editor" cannot create resource "secrets" in API group "" in the namespace "other"',
  },
  { who: 'editor', args: ['delete', 'configmap', 'cm', '-n', 'other'], allowed: false, stderr: `${FORBIDDEN}configmaps "cm" is forbidden: User "editor" cannot delete resource "configmaps" in API group "" in the namespace "other"` },
  { who: 'editor', args: ['get', 'namespaces'], allowed: false, stderr: `${FORBIDDEN}namespaces is forbidden: User "editor" cannot list resource "namespaces" in API group "" at the cluster scope` },
  { who: 'editor', args: ['get', 'namespace', 'other'], allowed: false, stderr: `${FORBIDDEN}namespaces "other" is forbidden: User "editor" cannot get resource "namespaces" in API group "" in the namespace "other"` },
  { who: 'editor', args: ['get', 'nodes'], allowed: false, stderr: `${FORBIDDEN}nodes is forbidden: User "editor" cannot list resource "nodes" in API group "" at the cluster scope` },
  {
    who: 'editor',
    args: ['create', 'rolebinding', 'nope', '--clusterrole=admin', '--user=editor', '-n', 'team'],
    allowed: false,
    stderr: 'error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io is forbidden: User "editor" cannot create resource "rolebindings" in API group "rbac.authorization.k8s.io" in the namespace "team"',
  },
  { who: 'editor', canI: ['create', 'deployments', '-n', 'team'], answer: 'yes' },
  { who: 'editor', canI: ['create', 'deployments', '-n', 'other'], answer: 'no' },
  { who: 'editor', canI: ['delete', 'secrets', '-n', 'team'], answer: 'yes' },
  { who: 'editor', canI: ['list', 'pods.metrics.k8s.io', '-n', 'team'], answer: 'yes' },
  { who: 'editor', canI: ['list', 'pods.metrics.k8s.io', '-n', 'other'], answer: 'no' },

  // A service account token from `kubectl create token bot`, edit in its own namespace.
  { who: 'sa', args: ['run', 'by-bot', '--image=busybox', '-n', 'team'], allowed: true },
  { who: 'sa', args: ['get', 'secrets', '-n', 'team'], allowed: true, stdout: /^sec\s/m },
  { who: 'sa', args: ['create', 'deployment', 'by-bot', '--image=nginx', '-n', 'team'], allowed: true },
  { who: 'sa', args: ['delete', 'configmap', 'cm', '-n', 'team'], allowed: true },
  { who: 'sa', args: ['create', 'token', 'default', '-n', 'team'], allowed: true, stdout: /^eyJ/ },
  {
    who: 'sa',
    args: ['get', 'pods', '-n', 'default'],
    allowed: false,
    stderr: `${FORBIDDEN}pods is forbidden: User "system:serviceaccount:team:bot" cannot list resource "pods" in API group "" in the namespace "default"`,
  },
  {
    who: 'sa',
    args: ['delete', 'configmap', 'cm', '-n', 'default'],
    allowed: false,
    stderr: `${FORBIDDEN}configmaps "cm" is forbidden: User "system:serviceaccount:team:bot" cannot delete resource "configmaps" in API group "" in the namespace "default"`,
  },
  {
    who: 'sa',
    args: ['create', '-f', '-'],
    input: pod('nope', 'other'),
    allowed: false,
    stderr: `${FORBIDDEN}error when creating "STDIN": pods is forbidden: User "system:serviceaccount:team:bot" cannot create resource "pods" in API group "" in the namespace "other"`,
  },
  {
    who: 'sa',
    args: ['get', 'clusterroles'],
    allowed: false,
    stderr: `${FORBIDDEN}clusterroles.rbac.authorization.k8s.io is forbidden: User "system:serviceaccount:team:bot" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope`,
  },
  { who: 'sa', canI: ['create', 'pods', '-n', 'team'], answer: 'yes' },
  { who: 'sa', canI: ['create', 'pods', '-n', 'default'], answer: 'no' },

  // A kubelet's certificate: the Node authorizer's own rules, with its reasons in the 403.
  { who: 'node', args: ['get', 'node', 'n1'], allowed: true, stdout: /^n1\s/m },
  { who: 'node', args: ['get', 'pods', '-A', '--field-selector', 'spec.nodeName=n1'], allowed: true },
  { who: 'node', args: ['get', 'services', '-A'], allowed: true },
  {
    who: 'node',
    args: ['get', 'nodes'],
    allowed: false,
    stderr: `${FORBIDDEN}nodes is forbidden: User "system:node:n1" cannot list resource "nodes" in API group "" at the cluster scope: node 'n1' cannot read all nodes, only its own Node object`,
  },
  {
    who: 'node',
    args: ['get', 'pods', '-n', 'team'],
    allowed: false,
    stderr: `${FORBIDDEN}pods is forbidden: User "system:node:n1" cannot list resource "pods" in API group "" in the namespace "team": can only list/watch pods with spec.nodeName field selector`,
  },
  {
    who: 'node',
    args: ['create', 'configmap', 'nope', '--from-literal=a=b', '-n', 'team'],
    allowed: false,
    stderr: 'error: failed to create configmap: configmaps is forbidden: User "system:node:n1" cannot create resource "configmaps" in API group "" in the namespace "team": can only read resources of this type',
  },
  {
    who: 'node',
    args: ['get', 'secret', 'sec', '-n', 'team'],
    allowed: false,
    stderr: `${FORBIDDEN}secrets "sec" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "team": no relationship found between node 'n1' and this object`,
  },
  { who: 'node', args: ['delete', 'namespace', 'other'], allowed: false, stderr: `${FORBIDDEN}namespaces "other" is forbidden: User "system:node:n1" cannot delete resource "namespaces" in API group "" in the namespace "other"` },
  {
    who: 'node',
    args: ['get', 'clusterroles'],
    allowed: false,
    stderr: `${FORBIDDEN}clusterroles.rbac.authorization.k8s.io is forbidden: User "system:node:n1" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope`,
  },
  { who: 'node', canI: ['get', 'services'], answer: 'yes' },
  { who: 'node', canI: ['create', 'deployments'], answer: 'no' },
];

describe('verb × resource × identity matrix through kubectl', () => {
  test('the matrix is at least 40 cases', () => assert.ok(MATRIX.length >= 40, String(MATRIX.length)));
  for (const c of MATRIX) {
    const label = 'canI' in c ? `${c.who}: auth can-i ${c.canI.join(' ')} → ${c.answer}` : `${c.who}: ${c.args.join(' ')} → ${c.allowed ? 'allowed' : '403'}`;
    test(label, async () => {
      const kc = id[c.who];
      if ('canI' in c) {
        const r = await kubectl(kc, ['auth', 'can-i', ...c.canI]);
        assert.equal(r.stdout.trim(), c.answer, `${label}\nstderr: ${r.stderr}`);
        assert.equal(r.code, c.answer === 'yes' ? 0 : 1);
        return;
      }
      const r = await kubectl(kc, c.args, { input: c.input });
      if (c.allowed) {
        const out = ok(r, label);
        if (c.stdout) assert.match(out, c.stdout, label);
      } else {
        fails(r, c.stderr, label);
      }
    });
  }

  test('what the allowed writes did is there for the admin to see, and the refused ones left nothing', async () => {
    assert.match(await kubectlOk(id.admin, ['get', 'configmaps', '-n', 'team', '-o', 'name']), /configmap\/by-editor/);
    assert.equal((await kubectlOk(id.admin, ['get', 'deployment', 'web', '-n', 'team', '-o', 'jsonpath={.spec.replicas}'])).trim(), '3');
    assert.match(await kubectlOk(id.admin, ['get', 'pods', '-n', 'team', '-o', 'name']), /pod\/by-bot/);
    const none = await kubectl(id.admin, ['get', 'pod', 'nope', '-n', 'other']);
    assert.equal(none.stderr.trim(), 'Error from server (NotFound): pods "nope" not found');
    assert.equal((await kubectl(id.admin, ['get', 'namespace', 'nope'])).code, 1);
  });
});

describe('kubectl auth whoami', () => {
  test('prints each identity with its groups', async () => {
    const admin = await whoami(id.admin);
    assert.equal(admin.get('Username'), 'kubernetes-admin');
    assert.equal(admin.get('Groups'), '[system:masters system:authenticated]');

    assert.deepEqual([...(await whoami(id.viewer))], [
      ['Username', 'viewer'],
      ['Groups', '[qa system:authenticated]'],
    ]);
    assert.deepEqual([...(await whoami(id.editor))], [
      ['Username', 'editor'],
      ['Groups', '[system:authenticated]'],
    ]);
    assert.deepEqual([...(await whoami(id.node))], [
      ['Username', 'system:node:n1'],
      ['Groups', '[system:nodes system:authenticated]'],
    ]);

    const sa = await whoami(id.sa);
    const uid = (await kubectlOk(id.admin, ['get', 'serviceaccount', 'bot', '-n', 'team', '-o', 'jsonpath={.metadata.uid}'])).trim();
    assert.equal(sa.get('Username'), 'system:serviceaccount:team:bot');
    assert.equal(sa.get('UID'), uid);
    assert.equal(sa.get('Groups'), '[system:serviceaccounts system:serviceaccounts:team system:authenticated]');
    assert.match(sa.get('Extra: authentication.kubernetes.io/credential-id') ?? '', /^\[JTI=[0-9a-f-]{36}\]$/);
  });
});

// What upstream's ClusterRole view (aggregated from system:aggregate-to-view)
// and system:basic-user grant, as `kubectl auth can-i --list` prints them.
const VIEW_ROWS = [
  'selfsubjectreviews.authentication.k8s.io [] [] [create]',
  'selfsubjectaccessreviews.authorization.k8s.io [] [] [create]',
  'selfsubjectrulesreviews.authorization.k8s.io [] [] [create]',
  ...[
    'bindings',
    'configmaps',
    'endpoints',
    'events',
    'limitranges',
    'namespaces/status',
    'namespaces',
    'persistentvolumeclaims/status',
    'persistentvolumeclaims',
    'pods/log',
    'pods/status',
    'pods',
    'replicationcontrollers/scale',
    'replicationcontrollers/status',
    'replicationcontrollers',
    'resourcequotas/status',
    'resourcequotas',
    'serviceaccounts',
    'services/status',
    'services',
    'controllerrevisions.apps',
    'daemonsets.apps/status',
    'daemonsets.apps',
    'deployments.apps/scale',
    'deployments.apps/status',
    'deployments.apps',
    'replicasets.apps/scale',
    'replicasets.apps/status',
    'replicasets.apps',
    'statefulsets.apps/scale',
    'statefulsets.apps/status',
    'statefulsets.apps',
    'horizontalpodautoscalers.autoscaling/status',
    'horizontalpodautoscalers.autoscaling',
    'cronjobs.batch/status',
    'cronjobs.batch',
    'jobs.batch/status',
    'jobs.batch',
    'endpointslices.discovery.k8s.io',
    // system:aggregated-metrics-reader, as metrics-server's manifest makes it.
    'nodes.metrics.k8s.io',
    'pods.metrics.k8s.io',
    'daemonsets.extensions/status',
    'daemonsets.extensions',
    'deployments.extensions/scale',
    'deployments.extensions/status',
    'deployments.extensions',
    'ingresses.extensions/status',
    'ingresses.extensions',
    'networkpolicies.extensions',
    'replicasets.extensions/scale',
    'replicasets.extensions/status',
    'replicasets.extensions',
    'replicationcontrollers.extensions/scale',
    'ingresses.networking.k8s.io/status',
    'ingresses.networking.k8s.io',
    'networkpolicies.networking.k8s.io',
    'poddisruptionbudgets.policy/status',
    'poddisruptionbudgets.policy',
  ].map((r) => `${r} [] [] [get list watch]`),
  // system:discovery and system:public-info-viewer both grant the health and version paths, so they show twice, as upstream.
  ...['/api/*', '/api', '/apis/*', '/apis', '/healthz', '/healthz', '/livez', '/livez', '/openapi/*', '/openapi', '/readyz', '/readyz', '/version/', '/version/', '/version', '/version'].map((u) => `[${u}] [] [get]`),
];

describe('kubectl auth can-i --list', () => {
  test('the viewer sees exactly what view and basic-user grant', async () => {
    const rows = canIListRows(ok(await kubectl(id.viewer, ['auth', 'can-i', '--list', '-n', 'team']), 'can-i --list'));
    assert.deepEqual([...rows].sort(), [...VIEW_ROWS].sort());
  });

  test('the editor outside its namespace has only the cluster-wide basics', async () => {
    const rows = canIListRows(ok(await kubectl(id.editor, ['auth', 'can-i', '--list', '-n', 'other']), 'can-i --list'));
    assert.deepEqual(rows.filter((r) => !r.startsWith('[')).sort(), VIEW_ROWS.slice(0, 3).sort());
  });

  test('a node is told its list is incomplete', async () => {
    const r = await kubectl(id.node, ['auth', 'can-i', '--list']);
    ok(r, 'node can-i --list');
    assert.equal(r.stderr.trim(), 'Warning: the list may be incomplete: node authorizer does not support user rule resolution');
  });
});
