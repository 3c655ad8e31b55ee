import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { emitYaml, yaml, type JsonValue } from '../../src/util/yaml.js';
import { renderKubeconfig } from '../../src/apiserver/kubeconfig.js';
import { parseKubeconfig, resolveContext } from '../../src/client/kubeconfig.js';
import { clusterInfoKubeconfig, readClusterInfoKubeconfig } from '../../src/join/cluster-info.js';

// Strings a plain scalar would turn into something else under YAML 1.1 (go-yaml, kubectl) or 1.2.
const TRICKY = [
  '', ' ', 'true', 'True', 'FALSE', 'yes', 'No', 'on', 'OFF', 'y', 'N', 'null', 'Null', '~', '0', '1', '-1', '1.5', '1e3', '0x1f', '0o17', '012',
  '1:20', '.inf', '-.inf', '.nan', '.NaN', 'a: b', 'a:', 'a #b', '#a', '- a', '-', '? a', '[a]', '{a: 1}', '*a', '&a', '!a', '|', '>', '%a', '@a', '`a',
  "'a'", '"a"', 'a\tb', 'a\\b', 'é', '日本', '\u2028', '\u0085', '\u0000x', '\ufeffa', 'trailing ', ' leading', 'a,b', 'x=y', '=', '<<',
  'line1\nline2', 'line1\nline2\n', 'line1\nline2\n\n', '\nlead', 'a\n\nb', 'a\n  indented\nb', 'a\n \nb', 'a\r\nb', 'tab\n\tline', 'end\n',
  'https://127.0.0.1:6443', 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJ', 'system:kube-scheduler', 'k8ts.io/servers', '2024-01-01', '2024-01-01T00:00:00Z',
];

test('emitYaml: every string reads back as the same string through the yaml package (1.2) and its 1.1 mode', () => {
  for (const s of TRICKY) {
    const doc = { key: s, list: [s, { inner: s }], [s === '' ? 'empty' : s]: 'v' };
    const text = emitYaml(doc);
    assert.deepEqual(parse(text), doc, `1.2: ${JSON.stringify(s)}\n${text}`);
    assert.deepEqual(parse(text, { version: '1.1' }), doc, `1.1: ${JSON.stringify(s)}\n${text}`);
  }
});

test('emitYaml: nesting, empty collections, numbers, booleans and null', () => {
  const doc: JsonValue = {
    a: { b: { c: [1, 2.5, -3, 0] } },
    empty: {},
    none: [],
    n: null,
    t: true,
    f: false,
    seqs: [[1, [2]], [], {}, { x: [] }, null],
    list: [{ name: 'one', cluster: { server: 'https://a:1' } }, { name: 'two' }],
  };
  const text = emitYaml(doc);
  assert.deepEqual(parse(text), doc, text);
  assert.deepEqual(parse(emitYaml([1, 'a', { b: 'c' }])), [1, 'a', { b: 'c' }]);
  assert.equal(emitYaml({}), '{}\n');
  assert.throws(() => emitYaml({ x: Number.NaN }), /NaN has no YAML form/);
});

test('emitYaml: a kubeconfig reads as kubectl would lay it out, with plain scalars', () => {
  const text = renderKubeconfig({ server: 'https://127.0.0.1:6443', caData: 'Q0E=', clientCertData: 'Y2VydA==', clientKeyData: 'a2V5' });
  assert.equal(
    text,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: k8ts',
      '  cluster:',
      '    server: https://127.0.0.1:6443',
      '    certificate-authority-data: Q0E=',
      'users:',
      '- name: admin',
      '  user:',
      '    client-certificate-data: Y2VydA==',
      '    client-key-data: a2V5',
      'contexts:',
      '- name: k8ts',
      '  context:',
      '    cluster: k8ts',
      '    user: admin',
      'current-context: k8ts',
      'preferences: {}',
      '',
    ].join('\n'),
  );
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
