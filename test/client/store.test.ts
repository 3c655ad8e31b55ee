import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store, metaNamespaceKey, splitMetaNamespaceKey } from '../../src/client/store.js';
import { NdjsonDecoder } from '../../src/client/watch.js';
import { resourcePath, query } from '../../src/client/paths.js';
import { responseError } from '../../src/client/status.js';
import type { KubeObject } from '../../src/api/types.js';

const pod = (ns: string, name: string, node: string): KubeObject => ({ metadata: { namespace: ns, name }, spec: { nodeName: node } });

test('keys', () => {
  assert.equal(metaNamespaceKey(pod('a', 'p', 'n')), 'a/p');
  assert.equal(metaNamespaceKey({ metadata: { name: 'node1' } }), 'node1');
  assert.deepEqual(splitMetaNamespaceKey('a/p'), { namespace: 'a', name: 'p' });
  assert.deepEqual(splitMetaNamespaceKey('n'), { namespace: '', name: 'n' });
});

test('store keeps indexes in step with writes', () => {
  const s = new Store<KubeObject>({ byNode: (o) => [String((o.spec as { nodeName: string }).nodeName)] });
  s.set(pod('a', 'p1', 'n1'));
  s.set(pod('a', 'p2', 'n2'));
  s.set(pod('b', 'p3', 'n1'));
  assert.deepEqual(s.byNamespace('a').map((o) => o.metadata.name).sort(), ['p1', 'p2']);
  assert.deepEqual(s.byIndex('byNode', 'n1').map((o) => o.metadata.name).sort(), ['p1', 'p3']);
  s.set(pod('a', 'p1', 'n2'));
  assert.deepEqual(s.byIndex('byNode', 'n1').map((o) => o.metadata.name), ['p3']);
  s.delete('b/p3');
  assert.deepEqual(s.byIndex('byNode', 'n1'), []);
  assert.deepEqual(s.indexValues('byNode'), ['n2']);
  assert.equal(s.getByName('a', 'p2')?.metadata.name, 'p2');
  s.addIndexers({ byName: (o) => [o.metadata.name!] });
  assert.equal(s.byIndex('byName', 'p1').length, 1);
  assert.throws(() => s.byIndex('nope', 'x'), /does not exist/);
  assert.equal(s.size(), 2);
});

test('ndjson decoder handles events split across chunks and multi-byte characters', () => {
  const d = new NdjsonDecoder();
  const line = JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'ünïcødé' } } }) + '\n';
  const bytes = Buffer.from(line + line);
  const out: unknown[] = [];
  for (let i = 0; i < bytes.length; i += 3) out.push(...d.push(bytes.subarray(i, i + 3)));
  out.push(...d.end());
  assert.equal(out.length, 2);
  assert.deepEqual(out[1], JSON.parse(line));
  const d2 = new NdjsonDecoder();
  assert.deepEqual(d2.push('{"a":1}'), []);
  assert.deepEqual(d2.end(), [{ a: 1 }]);
});

test('paths and queries', () => {
  const pods = { group: '', version: 'v1', resource: 'pods', namespaced: true };
  const deploy = { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true };
  const nodes = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
  assert.equal(resourcePath(pods, 'ns1', 'p', 'binding'), '/api/v1/namespaces/ns1/pods/p/binding');
  assert.equal(resourcePath(pods, undefined), '/api/v1/pods');
  assert.equal(resourcePath(deploy, 'x', 'd'), '/apis/apps/v1/namespaces/x/deployments/d');
  assert.equal(resourcePath(nodes, 'ignored', 'n1'), '/api/v1/nodes/n1');
  assert.equal(query({ a: 'x y', b: undefined, c: 0, d: '' }), '?a=x+y&c=0');
  assert.equal(query({}), '');
});

test('error responses become StatusError', () => {
  const e = responseError(409, JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 409, reason: 'Conflict', message: 'stale', details: { name: 'x' } }));
  assert.equal(e.code, 409);
  assert.equal(e.reason, 'Conflict');
  assert.equal(e.message, 'stale');
  assert.equal(e.details?.name, 'x');
  const plain = responseError(404, '404 page not found');
  assert.equal(plain.reason, 'NotFound');
  assert.match(plain.message, /could not find the requested resource/);
  assert.equal(responseError(418, 'teapot').reason, 'Unknown');
});
