import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { kubectl } from '../helpers/kubectl.js';

// Bad input gets a Status with the right code, reason and a message a person
// can act on; the server keeps serving and nothing stored is damaged.

interface Reply {
  code: number;
  body: any;
}

describe('bad input', () => {
  let s: TestServer;
  const req = async (method: string, path: string, body?: string | Buffer, contentType = 'application/json'): Promise<Reply> => {
    const r = await fetch(s.url + path, { method, body, headers: body !== undefined ? { 'Content-Type': contentType } : {} });
    const text = await r.text();
    return { code: r.status, body: text ? JSON.parse(text) : undefined };
  };
  const cm = (name: string, extra = '') => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}"},"data":{"k":"v"}${extra}}`;
  const assertStatus = (r: Reply, code: number, reason: string, message: RegExp) => {
    assert.equal(r.code, code, JSON.stringify(r.body));
    assert.equal(r.body.kind, 'Status');
    assert.equal(r.body.status, 'Failure');
    assert.equal(r.body.code, code);
    assert.equal(r.body.reason, reason);
    assert.match(r.body.message, message);
  };

  before(async () => {
    s = await startTestServer();
    const r = await req('POST', '/api/v1/namespaces/default/configmaps', cm('keep'));
    assert.equal(r.code, 201);
  });
  after(async () => {
    // The object created first is untouched by everything below.
    const r = await req('GET', '/api/v1/namespaces/default/configmaps/keep');
    assert.equal(r.code, 200);
    assert.deepEqual(r.body.data, { k: 'v' });
    await s?.close();
  });

  test('malformed JSON: 400 with the position', async () => {
    const r = await req('POST', '/api/v1/namespaces/default/configmaps', '{"apiVersion":"v1",\n "kind": ConfigMap}');
    assertStatus(r, 400, 'BadRequest', /not valid JSON at line 2, column \d+/);
  });

  test('malformed YAML: 400 with the line', async () => {
    const r = await req('POST', '/api/v1/namespaces/default/configmaps', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n', 'application/yaml');
    assertStatus(r, 400, 'BadRequest', /not valid YAML at line \d+, column \d+/);
  });

  test('YAML bodies are accepted', async () => {
    const r = await req('POST', '/api/v1/namespaces/default/configmaps', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  a: "1"\n', 'application/yaml');
    assert.equal(r.code, 201);
    assert.equal(r.body.data.a, '1');
  });

  test('wrong JSON types: 400 naming the field', async () => {
    const body = JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 'three', selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } });
    const r = await req('POST', '/apis/apps/v1/namespaces/default/deployments', body);
    assertStatus(r, 400, 'BadRequest', /spec\.replicas/);
    assert.match(r.body.message, /string/);
  });

  test('body that is not an object', async () => {
    assertStatus(await req('POST', '/api/v1/namespaces/default/configmaps', '[1,2]'), 400, 'BadRequest', /must be a JSON or YAML object/);
    assertStatus(await req('POST', '/api/v1/namespaces/default/configmaps', ''), 400, 'BadRequest', /empty/);
  });

  test('kind and apiVersion must match the endpoint', async () => {
    const r = await req('POST', '/api/v1/namespaces/default/configmaps', '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}');
    assertStatus(r, 400, 'BadRequest', /kind in the data \(Secret\) does not match the expected kind \(ConfigMap\)/);
  });

  test('invalid names: 422 Invalid with a cause per field', async () => {
    const r = await req('POST', '/api/v1/namespaces/default/configmaps', cm('Bad_Name'));
    assertStatus(r, 422, 'Invalid', /^ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name"/);
    assert.equal(r.body.details.causes[0].field, 'metadata.name');
    assert.equal(r.body.details.causes[0].reason, 'FieldValueInvalid');
  });

  test('missing name: 422', async () => {
    const r = await req('POST', '/api/v1/namespaces/default/configmaps', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{}}');
    assertStatus(r, 422, 'Invalid', /metadata\.name: Required value/);
  });

  test('oversized body: 413', async () => {
    const big = cm('big', `,"binaryData":{"x":"${'A'.repeat(4 * 1024 * 1024)}"}`);
    const r = await req('POST', '/api/v1/namespaces/default/configmaps', big);
    assertStatus(r, 413, 'RequestEntityTooLarge', /larger than the limit/);
  });

  test('stale resourceVersion: 409 Conflict and the newer write survives', async () => {
    const a = await req('GET', '/api/v1/namespaces/default/configmaps/keep');
    const stale = { ...a.body, data: { k: 'stale' }, metadata: { ...a.body.metadata, resourceVersion: '1' } };
    const r = await req('PUT', '/api/v1/namespaces/default/configmaps/keep', JSON.stringify(stale));
    assertStatus(r, 409, 'Conflict', /the object has been modified; please apply your changes to the latest version and try again/);
  });

  test('invalid resourceVersion in a query: 400', async () => {
    assertStatus(await req('GET', '/api/v1/namespaces/default/configmaps?resourceVersion=abc'), 400, 'BadRequest', /invalid resource version/);
  });

  test('unknown resource and unknown object: 404 Status', async () => {
    assertStatus(await req('GET', '/api/v1/namespaces/default/widgets'), 404, 'NotFound', /could not find the requested resource/);
    assertStatus(await req('GET', '/api/v1/namespaces/default/configmaps/absent'), 404, 'NotFound', /^configmaps "absent" not found$/);
    assertStatus(await req('GET', '/apis/apps/v1/namespaces/default/deployments/absent'), 404, 'NotFound', /^deployments\.apps "absent" not found$/);
  });

  test('namespace in the body must match the URL', async () => {
    const r = await req('POST', '/api/v1/namespaces/default/configmaps', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"other"}}');
    assertStatus(r, 400, 'BadRequest', /namespace of the provided object does not match/);
  });

  test('a namespace that does not exist: 404', async () => {
    assertStatus(await req('POST', '/api/v1/namespaces/nowhere/configmaps', cm('x')), 404, 'NotFound', /namespaces "nowhere" not found/);
  });

  test('strict field validation rejects unknown fields', async () => {
    const r = await req('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', cm('strict', ',"bogus":1'));
    assertStatus(r, 400, 'BadRequest', /strict decoding error: unknown field "bogus"/);
  });

  test('bad label selector: 400', async () => {
    assertStatus(await req('GET', '/api/v1/pods?labelSelector=' + encodeURIComponent('a in (b')), 400, 'BadRequest', /unable to parse requirement/);
  });

  test('unsupported patch type: 415', async () => {
    assertStatus(await req('PATCH', '/api/v1/namespaces/default/configmaps/keep', '{}', 'text/plain'), 415, 'UnsupportedMediaType', /accepted media types include/);
  });

  test('kubectl shows server errors as upstream', async () => {
    // Typed create commands wrap the server's message, as upstream kubectl does.
    const r = await kubectl(s.kubeconfig, ['create', 'configmap', 'Bad_Name']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: failed to create configmap: ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    const f = await kubectl(s.kubeconfig, ['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } }) });
    assert.equal(f.code, 1);
    assert.match(f.stderr, /The ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name"/);
  });

  test('the server still serves after all of it', async () => {
    const r = await req('GET', '/api/v1/namespaces');
    assert.equal(r.code, 200);
    assert.ok(r.body.items.length >= 4);
  });
});
