// Issue #10, end to end with the real kubectl 1.32: a kubelet's credential
// (system:node:a in system:nodes) against the Node authorizer and
// NodeRestriction admission. Node a reaches only its own Node, the pods bound
// to it and what those pods use; it writes only mirror pods bound to and
// owned by itself.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { issueClientCert } from '../../src/pki/index.js';
import { fails, kubectl, kubectlOk, ok } from './kubectl-auth-helpers.js';

const FORBIDDEN = 'Error from server (Forbidden): ';

let s: TestServer;
let admin: string;
let nodeA: string;
let nodeACert: { certPem: string; keyPem: string };
let nodeAUid: string;

const pod = (name: string, node: string, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'team', ...meta },
  spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox' }], ...spec },
});

before(async () => {
  s = await startTestServer({ secure: true });
  admin = s.kubeconfig;
  const secret = (name: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'team' }, stringData: { k: name } });
  await kubectlOk(admin, ['create', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Node', metadata: { name: 'a' } },
        { apiVersion: 'v1', kind: 'Node', metadata: { name: 'b' } },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'team' } },
        secret('used-by-a'),
        secret('used-by-b'),
        secret('unused'),
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings-a', namespace: 'team' }, data: { k: 'v' } },
        pod('pa', 'a', { volumes: [{ name: 's', secret: { secretName: 'used-by-a' } }], containers: [{ name: 'c', image: 'busybox', envFrom: [{ configMapRef: { name: 'settings-a' } }] }] }),
        pod('pb', 'b', { volumes: [{ name: 's', secret: { secretName: 'used-by-b' } }] }),
      ],
    }),
  });
  nodeA = await s.kubeconfigFor('system:node:a', ['system:nodes']);
  nodeACert = await issueClientCert(s.pki!, { commonName: 'system:node:a', organizations: ['system:nodes'] });
  nodeAUid = (await kubectlOk(admin, ['get', 'node', 'a', '-o', 'jsonpath={.metadata.uid}'])).trim();
  // As a running kubelet would have: discovery cached from reading its own Node.
  await kubectlOk(nodeA, ['get', 'node', 'a']);
});

after(async () => {
  await s?.close();
});

/** A request with node a's client certificate, for writes kubectl would precede with a GET. */
function asNodeA(method: string, path: string, body: unknown, contentType = 'application/merge-patch+json'): Promise<{ status: number; body: { message?: string; kind?: string } }> {
  const u = new URL(s.url);
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: u.hostname, port: u.port, path, method, ca: s.pki!.caCertPem, cert: nodeACert.certPem, key: nodeACert.keyPem, agent: false, headers: { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(data), Accept: 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { message?: string } }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe('node a vs node b', () => {
  test('node a cannot label, read or delete node b', async () => {
    fails(
      await kubectl(nodeA, ['label', 'node', 'b', 'x=y']),
      `${FORBIDDEN}nodes "b" is forbidden: User "system:node:a" cannot get resource "nodes" in API group "" at the cluster scope: node 'a' cannot read 'b', only its own Node object`,
      'label node b',
    );
    fails(await kubectl(nodeA, ['get', 'nodes']), `${FORBIDDEN}nodes is forbidden: User "system:node:a" cannot list resource "nodes" in API group "" at the cluster scope: node 'a' cannot read all nodes, only its own Node object`, 'list nodes');
    fails(await kubectl(nodeA, ['delete', 'node', 'b']), `${FORBIDDEN}nodes "b" is forbidden: User "system:node:a" cannot delete resource "nodes" in API group "" at the cluster scope`, 'delete node b');
    assert.equal((await kubectlOk(admin, ['get', 'node', 'b', '-o', 'jsonpath={.metadata.labels.x}'])).trim(), '');
  });

  test('a write to node b that skips the GET is stopped by NodeRestriction', async () => {
    const r = await asNodeA('PATCH', '/api/v1/nodes/b', { metadata: { labels: { x: 'y' } } });
    assert.equal(r.status, 403);
    assert.equal(r.body.message, 'nodes "b" is forbidden: node "a" is not allowed to modify node "b"');
    const st = await asNodeA('PATCH', '/api/v1/nodes/b/status', { status: { phase: 'Running' } });
    assert.equal(st.status, 403);
    assert.equal(st.body.message, 'nodes "b" is forbidden: node "a" is not allowed to modify node "b"');
  });

  test('node a labels itself, but not with restricted labels, and may not change its taints', async () => {
    assert.match(ok(await kubectl(nodeA, ['label', 'node', 'a', 'x=y', 'topology.kubernetes.io/zone=z1']), 'label self'), /^node\/a labeled$/m);
    fails(await kubectl(nodeA, ['label', 'node', 'a', 'node-restriction.kubernetes.io/trusted=yes']), `${FORBIDDEN}nodes "a" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/trusted`, 'restricted label');
    fails(await kubectl(nodeA, ['label', 'node', 'a', 'kubernetes.io/role=master']), `${FORBIDDEN}nodes "a" is forbidden: is not allowed to modify labels: kubernetes.io/role`, 'kubernetes.io label');
    fails(await kubectl(nodeA, ['taint', 'node', 'a', 'dedicated=me:NoSchedule']), `${FORBIDDEN}nodes "a" is forbidden: node "a" is not allowed to modify taints`, 'taint');
  });

  test('node a cannot get, patch, list or delete a pod bound to b', async () => {
    assert.match(ok(await kubectl(nodeA, ['get', 'pod', 'pa', '-n', 'team']), 'own pod'), /^pa\s/m);
    fails(
      await kubectl(nodeA, ['get', 'pod', 'pb', '-n', 'team']),
      `${FORBIDDEN}pods "pb" is forbidden: User "system:node:a" cannot get resource "pods" in API group "" in the namespace "team": no relationship found between node 'a' and this object`,
      'get pod on b',
    );
    fails(
      await kubectl(nodeA, ['patch', 'pod', 'pb', '-n', 'team', '-p', '{"metadata":{"labels":{"x":"y"}}}']),
      `${FORBIDDEN}pods "pb" is forbidden: User "system:node:a" cannot get resource "pods" in API group "" in the namespace "team": no relationship found between node 'a' and this object`,
      'patch pod on b',
    );
    // Upstream's Node authorizer (AuthorizeNodeWithSelectors) never lets a kubelet GET pods/status, so kubectl's GET stops it with no reason given.
    fails(
      await kubectl(nodeA, ['patch', 'pod', 'pb', '-n', 'team', '--subresource=status', '-p', '{"status":{"message":"x"}}']),
      `${FORBIDDEN}pods "pb" is forbidden: User "system:node:a" cannot get resource "pods/status" in API group "" in the namespace "team"`,
      'patch status of pod on b',
    );
    fails(
      await kubectl(nodeA, ['get', 'pods', '-A', '--field-selector', 'spec.nodeName=b']),
      `${FORBIDDEN}pods is forbidden: User "system:node:a" cannot list resource "pods" in API group "" at the cluster scope: can only list/watch pods with spec.nodeName field selector`,
      'list b’s pods',
    );
    assert.match(ok(await kubectl(nodeA, ['get', 'pods', '-A', '--field-selector', 'spec.nodeName=a']), 'list own pods'), /^team\s+pa\s/m);
    fails(await kubectl(nodeA, ['delete', 'pod', 'pb', '-n', 'team']), `${FORBIDDEN}pods "pb" is forbidden: node "a" can only delete pods with spec.nodeName set to itself`, 'delete pod on b');
  });

  test('status writes without the GET: allowed for its own pod, NodeRestriction refuses b’s', async () => {
    const other = await asNodeA('PATCH', '/api/v1/namespaces/team/pods/pb/status', { status: { message: 'x' } });
    assert.equal(other.status, 403);
    assert.equal(other.body.message, 'pods "pb" is forbidden: node "a" can only update pod status for pods with spec.nodeName set to itself');
    const own = await asNodeA('PATCH', '/api/v1/namespaces/team/pods/pa/status', { status: { message: 'running on a' } });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    const relabel = await asNodeA('PATCH', '/api/v1/namespaces/team/pods/pa/status', { metadata: { labels: { stolen: 'yes' } } });
    assert.equal(relabel.status, 403);
    assert.equal(relabel.body.message, 'pods "pa" is forbidden: node "a" cannot update labels through pod status');
  });
});

describe('secrets and configmaps through the node graph', () => {
  test('node a reads what a pod bound to it mounts, and nothing else', async () => {
    assert.match(ok(await kubectl(nodeA, ['get', 'secret', 'used-by-a', '-n', 'team']), 'mounted secret'), /^used-by-a\s+Opaque/m);
    assert.match(ok(await kubectl(nodeA, ['get', 'configmap', 'settings-a', '-n', 'team']), 'envFrom configmap'), /^settings-a\s/m);
    for (const name of ['unused', 'used-by-b']) {
      fails(
        await kubectl(nodeA, ['get', 'secret', name, '-n', 'team']),
        `${FORBIDDEN}secrets "${name}" is forbidden: User "system:node:a" cannot get resource "secrets" in API group "" in the namespace "team": no relationship found between node 'a' and this object`,
        name,
      );
    }
    fails(await kubectl(nodeA, ['get', 'secrets', '-n', 'team']), `${FORBIDDEN}secrets is forbidden: User "system:node:a" cannot list resource "secrets" in API group "" in the namespace "team": No Object name found`, 'list secrets');
    fails(
      await kubectl(nodeA, ['delete', 'secret', 'used-by-a', '-n', 'team']),
      `${FORBIDDEN}secrets "used-by-a" is forbidden: User "system:node:a" cannot delete resource "secrets" in API group "" in the namespace "team": can only read resources of this type`,
      'delete mounted secret',
    );
  });

  test('a secret stops being readable once the pod that mounted it is gone', async () => {
    await kubectlOk(admin, ['create', '-f', '-'], { input: JSON.stringify(pod('later', 'a', { volumes: [{ name: 's', secret: { secretName: 'unused' } }] })) });
    // The graph follows a watch: poll by attempts (no clock) until it has caught up.
    let r = await kubectl(nodeA, ['get', 'secret', 'unused', '-n', 'team']);
    for (let i = 0; i < 100 && r.code !== 0; i++) r = await kubectl(nodeA, ['get', 'secret', 'unused', '-n', 'team']);
    ok(r, 'readable while the pod exists');
    // A pod bound to a node waits for its kubelet to finish a graceful delete; there is none here.
    await kubectlOk(admin, ['delete', 'pod', 'later', '-n', 'team', '--grace-period=0', '--force']);
    r = await kubectl(nodeA, ['get', 'secret', 'unused', '-n', 'team']);
    for (let i = 0; i < 100 && r.code === 0; i++) r = await kubectl(nodeA, ['get', 'secret', 'unused', '-n', 'team']);
    fails(r, `${FORBIDDEN}secrets "unused" is forbidden: User "system:node:a" cannot get resource "secrets" in API group "" in the namespace "team": no relationship found between node 'a' and this object`, 'after the pod is deleted');
  });
});

describe('NodeRestriction on what a node creates', () => {
  const MIRROR = { 'kubernetes.io/config.mirror': 'hash' };
  const ownedBy = (uid: string) => [{ apiVersion: 'v1', kind: 'Node', name: 'a', uid, controller: true }];
  const create = (obj: unknown) => kubectl(nodeA, ['create', '-f', '-'], { input: JSON.stringify(obj) });
  const refused = (name: string, why: string) => `${FORBIDDEN}error when creating "STDIN": pods "${name}" is forbidden: ${why}`;

  test('no mirror-less pods, none bound to another node, none without its owner reference', async () => {
    fails(await create(pod('m1', 'a')), refused('m1', 'pod does not have "kubernetes.io/config.mirror" annotation, node "a" can only create mirror pods'), 'not a mirror pod');
    fails(await create(pod('m2', 'b', {}, { annotations: MIRROR, ownerReferences: ownedBy(nodeAUid) })), refused('m2', 'node "a" can only create pods with spec.nodeName set to itself'), 'bound to b');
    fails(await create(pod('m3', 'a', {}, { annotations: MIRROR })), refused('m3', 'node "a" can only create pods with an owner reference set to itself'), 'no owner');
    fails(await create(pod('m4', 'a', {}, { annotations: MIRROR, ownerReferences: ownedBy('00000000-0000-0000-0000-000000000000') })), refused('m4', `node a UID mismatch: expected 00000000-0000-0000-0000-000000000000 got ${nodeAUid}`), 'wrong owner uid');
    fails(
      await create(pod('m5', 'a', { volumes: [{ name: 's', secret: { secretName: 'used-by-b' } }] }, { annotations: MIRROR, ownerReferences: ownedBy(nodeAUid) })),
      refused('m5', 'node "a" can not create pods that reference secrets'),
      'mirror pod using a secret',
    );
    const none = await kubectlOk(admin, ['get', 'pods', '-n', 'team', '-o', 'name']);
    assert.doesNotMatch(none, /pod\/m[1-5]/);
  });

  test('a proper mirror pod is created, and the node may delete it', async () => {
    assert.match(ok(await create(pod('mirror', 'a', {}, { annotations: MIRROR, ownerReferences: ownedBy(nodeAUid) })), 'mirror pod'), /^pod\/mirror created$/m);
    // As the kubelet removes a mirror pod: at once (no kubelet runs here to finish a graceful delete).
    ok(await kubectl(nodeA, ['delete', 'pod', 'mirror', '-n', 'team', '--grace-period=0', '--force']), 'delete own mirror pod');
    fails(await kubectl(admin, ['get', 'pod', 'mirror', '-n', 'team']), 'Error from server (NotFound): pods "mirror" not found', 'mirror pod gone');
  });

  test('leases: only its own', async () => {
    const lease = (name: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name } });
    ok(await create(lease('a')), 'own lease');
    fails(await create(lease('b')), `${FORBIDDEN}error when creating "STDIN": leases.coordination.k8s.io "b" is forbidden: can only access node lease with the same name as the requesting node`, 'b’s lease');
  });

  test('tokens only bound to pods on the node', async () => {
    fails(await kubectl(nodeA, ['create', 'token', 'default', '-n', 'team']), `error: failed to create token: serviceaccounts "default" is forbidden: node requested token not bound to a pod`, 'unbound token');
    const uidOf = async (name: string) => (await kubectlOk(admin, ['get', 'pod', name, '-n', 'team', '-o', 'jsonpath={.metadata.uid}'])).trim();
    const bound = (name: string, uid: string) => ['create', 'token', 'default', '-n', 'team', '--bound-object-kind=Pod', `--bound-object-name=${name}`, `--bound-object-uid=${uid}`];
    assert.match(ok(await kubectl(nodeA, bound('pa', await uidOf('pa'))), 'token for pa'), /^eyJ/);
    fails(await kubectl(nodeA, bound('pb', await uidOf('pb'))), `error: failed to create token: serviceaccounts "default" is forbidden: node requested token bound to a pod scheduled on a different node`, 'token for pb');
  });
});
