import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { yaml } from '../../src/util/yaml.js';
import { renderKubeconfig } from '../../src/apiserver/kubeconfig.js';
import { parseKubeconfig, resolveContext } from '../../src/client/kubeconfig.js';
import { clusterInfoKubeconfig, readClusterInfoKubeconfig } from '../../src/join/cluster-info.js';

test('a kubeconfig a server writes: JSON, read alike by the yaml package in its 1.2 and 1.1 modes and by our reader', () => {
  const text = renderKubeconfig({ server: 'https://127.0.0.1:6443', caData: 'Q0E=', clientCertData: 'Y2VydA==', clientKeyData: 'a2V5' });
  const doc = JSON.parse(text);
  assert.deepEqual(doc, {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'k8ts', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': 'Q0E=' } }],
    users: [{ name: 'admin', user: { 'client-certificate-data': 'Y2VydA==', 'client-key-data': 'a2V5' } }],
    contexts: [{ name: 'k8ts', context: { cluster: 'k8ts', user: 'admin' } }],
    'current-context': 'k8ts',
    preferences: {},
  });
  assert.deepEqual(parse(text), doc);
  assert.deepEqual(parse(text, { version: '1.1' }), doc);
  const cfg = resolveContext(parseKubeconfig(text));
  assert.equal(cfg.server, 'https://127.0.0.1:6443');
  assert.equal(cfg.caData?.toString(), 'CA');
  assert.equal(cfg.certData?.toString(), 'cert');
  assert.equal(cfg.keyData?.toString(), 'key');
});

test('cluster-info kubeconfig: written without the yaml package, read back with it', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const text = clusterInfoKubeconfig('https://10.0.0.1:6443', pem);
  assert.deepEqual(readClusterInfoKubeconfig(text), { caCertPem: pem, server: 'https://10.0.0.1:6443' });
  const doc = parse(text);
  assert.equal(doc.contexts, null);
  assert.equal(doc.users, null);
  assert.equal(doc['current-context'], '');
  assert.deepEqual(doc.clusters[0].name, '');
});

test('yaml(): the package, loaded once, on first use', () => {
  assert.equal(yaml(), yaml());
  assert.equal(typeof yaml().parse, 'function');
});
