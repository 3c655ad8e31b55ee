import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KUBECTL, kubectl, kubectlBuild } from '../helpers/kubectl.js';
import { startOpenApiOnlyServer, type OpenApiOnlyServer } from './openapi-only-server.js';

// The real kubectl, default flags, against our OpenAPI documents: every
// build from 1.27 to 1.33 must find fieldValidation in them (and so send
// ?fieldValidation=Strict), parse the protobuf v2 document, and explain.

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: p1
spec:
  containers:
  - name: main
    image: busybox
`;

const BAD_POD = POD.replace('    image: busybox\n', '    image: busybox\n    imagee: typo\n');

const BAD_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  replicas: three
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers: [{name: c, image: x}]
`;

// A v1 List is the one case kubectl validates itself, against the v2 protobuf models.
const BAD_LIST = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: c1}
  dataa: {x: y}
`;

const builds = ['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33']
  .map((v) => ({ v, bin: kubectlBuild(v) }))
  .filter((b): b is { v: string; bin: string } => b.bin !== undefined);
if (!builds.length) builds.push({ v: 'default', bin: KUBECTL });

describe('kubectl reads our OpenAPI', () => {
  let s: OpenApiOnlyServer;
  let dir: string;
  const file = (name: string) => join(dir, name);

  before(async () => {
    s = await startOpenApiOnlyServer();
    dir = await mkdtemp(join(tmpdir(), 'k8ts-openapi-e2e-'));
    await writeFile(file('pod.yaml'), POD);
    await writeFile(file('bad-pod.yaml'), BAD_POD);
    await writeFile(file('bad-deploy.yaml'), BAD_DEPLOYMENT);
    await writeFile(file('bad-list.yaml'), BAD_LIST);
  });
  after(async () => {
    await s?.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const { v, bin } of builds) {
    describe(`kubectl ${v}`, () => {
      const k = (args: string[]) => kubectl(s.kubeconfig, args, { bin });

      test('create with default flags sends fieldValidation=Strict', async () => {
        s.writes.length = 0;
        const r = await k(['create', '-f', file('pod.yaml')]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /pod\/p1 created/);
        assert.equal(s.writes.length, 1);
        assert.match(s.writes[0].url, /^\/api\/v1\/namespaces\/default\/pods\?.*fieldValidation=Strict/);
      });

      test('an unknown field fails with the server’s strict decoding error', async () => {
        const r = await k(['create', '-f', file('bad-pod.yaml')]);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /Error from server \(BadRequest\).*strict decoding error: unknown field "spec\.containers\[0\]\.imagee"/);
      });

      test('apply also validates on the server', async () => {
        s.writes.length = 0;
        const r = await k(['apply', '-f', file('bad-pod.yaml')]);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /unknown field "spec\.containers\[0\]\.imagee"/);
        assert.match(s.writes[0]?.url ?? '', /fieldValidation=Strict/);
      });

      test('a value of the wrong type names the field and the type', async () => {
        const r = await k(['create', '-f', file('bad-deploy.yaml')]);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /cannot unmarshal string into Go struct field DeploymentSpec\.spec\.replicas of type int32/);
      });

      test('client-side validation parses the protobuf v2 document', async () => {
        const r = await k(['create', '-f', file('bad-list.yaml')]);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /unknown field "dataa" in io\.k8s\.api\.core\.v1\.ConfigMap/);
      });

      test('explain pod.spec.containers prints the field list', async () => {
        const r = await k(['explain', 'pod.spec.containers']);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /KIND:\s+Pod/);
        assert.match(r.stdout, /FIELD: containers <\[\]Container>/);
        assert.match(r.stdout, /^ {2}image\t<string>/m);
        assert.match(r.stdout, /^ {2}name\t<string> -required-/m);
        assert.match(r.stdout, /^ {2}ports\t<\[\]ContainerPort>/m);
        assert.match(r.stdout, /^ {2}resources\t<ResourceRequirements>/m);
      });

      test('explain through v2 and into another group', async () => {
        const v2 = await k(['explain', '--output=plaintext-openapiv2', 'deployment.spec.strategy']);
        assert.equal(v2.code, 0, v2.stderr);
        assert.match(v2.stdout, /RESOURCE: strategy <Object>/);
        const svc = await k(['explain', 'service.spec.ports.targetPort']);
        assert.equal(svc.code, 0, svc.stderr);
        assert.match(svc.stdout, /FIELD: targetPort <IntOrString>/);
      });
    });
  }
});
