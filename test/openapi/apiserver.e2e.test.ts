import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { kubectl } from '../helpers/kubectl.js';

// The same checks as kubectl.e2e.test.ts, through the real API server: its
// discovery, its routing of /openapi/*, and its decoding of request bodies.

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        ports: [{containerPort: 80}]
`;

describe('kubectl, the API server and the OpenAPI documents', () => {
  let s: TestServer;
  let dir: string;
  const k = (args: string[]) => kubectl(s.kubeconfig, args);

  before(async () => {
    s = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'k8ts-openapi-apiserver-'));
    await writeFile(join(dir, 'deploy.yaml'), DEPLOYMENT);
    await writeFile(join(dir, 'bad.yaml'), DEPLOYMENT.replace('        image: nginx\n', '        image: nginx\n        imagee: typo\n'));
    await writeFile(join(dir, 'v2.yaml'), DEPLOYMENT.replace('replicas: 1', 'replicas: 2'));
  });
  after(async () => {
    await s?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('explain pod.spec.containers prints the field list', async () => {
    const r = await k(['explain', 'pod.spec.containers']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /FIELD: containers <\[\]Container>/);
    assert.match(r.stdout, /^ {2}image\t<string>/m);
  });

  test('an unknown field is rejected by strict server-side validation', async () => {
    const r = await k(['create', '-f', join(dir, 'bad.yaml')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /BadRequest.*strict decoding error: unknown field "spec\.template\.spec\.containers\[0\]\.imagee"/);
  });

  test('create, then apply a change (strategic merge patch from the OpenAPI)', async () => {
    const created = await k(['create', '-f', join(dir, 'deploy.yaml'), '--save-config']);
    assert.equal(created.code, 0, created.stderr);
    const applied = await k(['apply', '-f', join(dir, 'v2.yaml')]);
    assert.equal(applied.code, 0, applied.stderr);
    const replicas = await k(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}']);
    assert.equal(replicas.stdout, '2');
  });
});
