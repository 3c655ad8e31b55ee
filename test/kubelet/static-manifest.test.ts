import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANNOTATION_CONFIG_HASH, ANNOTATION_CONFIG_MIRROR, ANNOTATION_CONFIG_SOURCE, mirrorPodFor, parseManifest, staticPodName } from '../../src/kubelet/static/manifest.js';

const yaml = `
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: nginx
    image: nginx:1.27
---
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"db","namespace":"data"},"spec":{"containers":[{"name":"pg","image":"postgres"}]}}
`;

test('static pods: multi-document YAML/JSON, named <name>-<node>, stable uid, file annotations', () => {
  const pods = parseManifest(yaml, '/etc/k/web.yaml', 'Node-A');
  assert.equal(pods.length, 2);
  assert.equal(pods[0]!.metadata.name, 'web-node-a');
  assert.equal(pods[0]!.metadata.namespace, 'default');
  assert.equal(pods[1]!.metadata.name, 'db-node-a');
  assert.equal(pods[1]!.metadata.namespace, 'data');
  assert.equal(pods[0]!.spec.nodeName, 'Node-A');
  assert.equal(pods[0]!.metadata.annotations![ANNOTATION_CONFIG_SOURCE], 'file');
  assert.equal(pods[0]!.metadata.annotations![ANNOTATION_CONFIG_HASH], pods[0]!.metadata.uid);
  assert.match(pods[0]!.metadata.uid!, /^[0-9a-f]{32}$/);
  const again = parseManifest(yaml, '/etc/k/web.yaml', 'Node-A');
  assert.equal(again[0]!.metadata.uid, pods[0]!.metadata.uid);
  assert.notEqual(parseManifest(yaml, '/etc/k/web.yaml', 'node-b')[0]!.metadata.uid, pods[0]!.metadata.uid);
  assert.notEqual(parseManifest(yaml.replace('nginx:1.27', 'nginx:1.28'), '/etc/k/web.yaml', 'Node-A')[0]!.metadata.uid, pods[0]!.metadata.uid);
  assert.equal(staticPodName('etcd', 'CP-1'), 'etcd-cp-1');
});

test('static pods: bad manifests are rejected with a reason', () => {
  assert.throws(() => parseManifest('kind: Pod\nmetadata: {}\nspec: {containers: [{name: a, image: b}]}', 'f', 'n'), /name or generateName is required/);
  assert.throws(() => parseManifest('kind: Pod\nmetadata: {name: x}\nspec: {containers: []}', 'f', 'n'), /spec.containers: Required value/);
  assert.throws(() => parseManifest('kind: Deployment\nmetadata: {name: x}\nspec: {}', 'f', 'n'), /not Pod/);
  assert.throws(() => parseManifest('a: [1, 2', 'f', 'n'), /document 1/);
});

test('mirror pod: annotation, owner Node, no uid or status', () => {
  const [p] = parseManifest(yaml, '/etc/k/web.yaml', 'node-a');
  const m = mirrorPodFor(p!, 'node-a', 'node-uid');
  assert.equal(m.metadata.uid, undefined);
  assert.equal(m.status, undefined);
  assert.equal(m.metadata.name, 'web-node-a');
  assert.equal(m.metadata.annotations![ANNOTATION_CONFIG_MIRROR], p!.metadata.uid);
  assert.deepEqual(m.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'node-a', uid: 'node-uid', controller: true }]);
});
