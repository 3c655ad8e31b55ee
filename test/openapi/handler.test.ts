import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOpenApiHandler } from '../../src/apiserver/openapi/handler.js';
import { loadSchemaRegistry } from '../../src/api/schema/index.js';
import type { SchemaRegistry } from '../../src/api/schema/types.js';
import { RESOURCES, groupVersions } from '../../src/api/scheme/resources.js';

const PROTO = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

function refsIn(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => refsIn(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref') out.push(x as string);
      else refsIn(x, out);
    }
  }
  return out;
}

describe('OpenAPI handler', () => {
  let server: http.Server;
  let base: string;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(base + path, { headers, redirect: 'manual' });

  before(async () => {
    const handler = createOpenApiHandler(loadSchemaRegistry(), RESOURCES);
    server = http.createServer((req, res) => {
      if (!handler(req, res)) {
        res.writeHead(418);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('builds nothing until asked', () => {
    const exploding: SchemaRegistry = {
      forKind: () => assert.fail('built at creation'),
      definition: () => assert.fail('built at creation'),
      definitions: () => assert.fail('built at creation'),
    };
    assert.equal(typeof createOpenApiHandler(exploding, RESOURCES), 'function');
  });

  test('leaves other paths alone', async () => {
    assert.equal((await get('/api/v1')).status, 418);
    assert.equal((await get('/openapi/v2x')).status, 418);
  });

  test('/openapi/v2 JSON: complete, no dangling refs, fieldValidation on every write', async () => {
    const res = await get('/openapi/v2', { Accept: 'application/json' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const doc = (await res.json()) as any;
    assert.equal(doc.swagger, '2.0');
    for (const ref of refsIn(doc)) assert.ok(doc.definitions[ref.replace('#/definitions/', '')], `dangling ${ref}`);
    let patches = 0;
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const method of ['post', 'put', 'patch']) {
        const op = item[method];
        if (!op || op['x-kubernetes-action'] === 'connect') continue;
        assert.ok(op.parameters.some((p: any) => p.name === 'fieldValidation' && p.in === 'query'), `${method} ${path}`);
        assert.ok(op['x-kubernetes-group-version-kind'], `${method} ${path} has a GVK`);
        if (method === 'patch') patches++;
      }
    }
    assert.ok(patches >= RESOURCES.length - 1);
    const ns = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
    assert.equal(ns.patch.operationId, 'patchAppsV1NamespacedDeployment');
    assert.deepEqual(ns.patch['x-kubernetes-group-version-kind'], { group: 'apps', kind: 'Deployment', version: 'v1' });
    assert.equal(doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].put['x-kubernetes-group-version-kind'].kind, 'Scale');
  });

  test('/openapi/v2 protobuf, ETag and 304', async () => {
    const res = await get('/openapi/v2', { Accept: `${PROTO}, application/json` });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    const etag = res.headers.get('etag')!;
    assert.ok((await res.arrayBuffer()).byteLength > 100_000);
    const again = await get('/openapi/v2', { Accept: PROTO, 'If-None-Match': etag });
    assert.equal(again.status, 304);
    const json = await get('/openapi/v2', { 'If-None-Match': etag });
    assert.equal(json.status, 200, 'the JSON form has its own ETag');
    await json.arrayBuffer();
  });

  test('unacceptable media types and methods, and the retired swagger path', async () => {
    const r406 = await get('/openapi/v2', { Accept: 'text/html' });
    assert.equal(r406.status, 406);
    assert.equal(((await r406.json()) as any).kind, 'Status');
    const r405 = await fetch(`${base}/openapi/v2`, { method: 'POST', body: '{}' });
    assert.equal(r405.status, 405);
    await r405.arrayBuffer();
    const r404 = await get('/swagger-2.0.0.pb-v1');
    assert.equal(r404.status, 404);
    assert.equal(((await r404.json()) as any).reason, 'NotFound');
    const nogv = await get('/openapi/v3/apis/nope.example.com/v1');
    assert.equal(nogv.status, 404);
    await nogv.arrayBuffer();
  });

  test('/openapi/v3 lists each group/version by content hash', async () => {
    const root = (await (await get('/openapi/v3')).json()) as { paths: Record<string, { serverRelativeURL: string }> };
    const expected = groupVersions().map((gv) => (gv.group ? `apis/${gv.group}/${gv.version}` : `api/${gv.version}`));
    assert.deepEqual(Object.keys(root.paths).sort(), expected.sort());
    for (const [key, { serverRelativeURL }] of Object.entries(root.paths)) {
      assert.match(serverRelativeURL, new RegExp(`^/openapi/v3/${key}\\?hash=[0-9A-F]{128}$`));
    }
  });

  test('a v3 document: immutable by hash, redirect when stale, self-contained', async () => {
    const root = (await (await get('/openapi/v3')).json()) as any;
    const url = root.paths['api/v1'].serverRelativeURL as string;
    const res = await get(url, { Accept: 'application/json' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'public, immutable');
    const doc = (await res.json()) as any;
    assert.equal(doc.openapi, '3.0.0');
    for (const ref of refsIn(doc)) assert.ok(doc.components.schemas[ref.replace('#/components/schemas/', '')], `dangling ${ref}`);
    const pod = doc.components.schemas['io.k8s.api.core.v1.Pod'];
    assert.deepEqual(pod['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
    const list = doc.paths['/api/v1/namespaces/{namespace}/pods'];
    assert.deepEqual(list.get['x-kubernetes-group-version-kind'], { group: '', kind: 'Pod', version: 'v1' });
    assert.ok(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch.parameters.some((p: any) => p.name === 'fieldValidation'));
    assert.deepEqual(doc.components.schemas['io.k8s.apimachinery.pkg.api.resource.Quantity'].oneOf, [{ type: 'string' }, { type: 'number' }]);
    assert.equal(doc.paths['/apis/apps/v1/deployments'], undefined, 'other groups live in their own documents');

    const stale = await get('/openapi/v3/api/v1?hash=0000');
    assert.equal(stale.status, 301);
    assert.equal(stale.headers.get('location'), url);
    const unhashed = await get('/openapi/v3/api/v1');
    assert.equal(unhashed.headers.get('cache-control'), null);
    const etag = unhashed.headers.get('etag')!;
    await unhashed.arrayBuffer();
    assert.equal((await get('/openapi/v3/api/v1', { 'If-None-Match': etag })).status, 304);
  });

  test('v3 keeps field descriptions and patch extensions beside references via allOf', async () => {
    const root = (await (await get('/openapi/v3')).json()) as any;
    const doc = (await (await get(root.paths['apis/apps/v1'].serverRelativeURL)).json()) as any;
    const strategy = doc.components.schemas['io.k8s.api.apps.v1.DeploymentSpec'].properties.strategy;
    assert.deepEqual(strategy.allOf, [{ $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy' }]);
    assert.equal(strategy['x-kubernetes-patch-strategy'], 'retainKeys');
  });
});
