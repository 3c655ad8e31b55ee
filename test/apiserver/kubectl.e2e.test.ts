import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { KUBECTL, kubectl, kubectlOk } from '../helpers/kubectl.js';

// The API server driven by the real kubectl with default flags (client-side
// validation on, no --validate=false anywhere).

const DEPLOY_V1 = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: { app: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - name: web
        image: nginx:1.25
        env:
        - { name: MODE, value: one }
        - { name: EXTRA, value: gone-later }
        ports:
        - containerPort: 80
`;

const DEPLOY_V2 = DEPLOY_V1.replace('nginx:1.25', 'nginx:1.26').replace('replicas: 2', 'replicas: 3').replace('        - { name: EXTRA, value: gone-later }\n', '');

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: p1
  labels: { tier: db }
spec:
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
`;

describe('kubectl against k8ts', () => {
  let s: TestServer;
  let k: (args: string[], input?: string) => Promise<string>;

  before(async () => {
    s = await startTestServer();
    k = (args, input) => kubectlOk(s.kubeconfig, args, { input });
  });
  after(async () => {
    await s?.close();
  });

  test('version reports a 1.32 server', async () => {
    const out = await k(['version', '-o', 'json']);
    const v = JSON.parse(out);
    assert.equal(v.serverVersion.major, '1');
    assert.equal(v.serverVersion.minor, '32');
    assert.match(v.serverVersion.gitVersion, /^v1\.32\./);
  });

  test('system namespaces exist from the start', async () => {
    const out = await k(['get', 'ns', '-o', 'name']);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.match(out, new RegExp(`namespace/${ns}\\b`));
  });

  test('api-resources lists groups, short names and verbs', async () => {
    const out = await k(['api-resources']);
    assert.match(out, /^pods\s+po\s+v1\s+true\s+Pod$/m);
    assert.match(out, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(out, /^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m);
    const wide = await k(['api-resources', '-o', 'wide']);
    assert.match(wide, /^namespaces\s+ns\s+v1\s+false\s+Namespace\s+create,delete,get,list,patch,update,watch\s*$/m);
  });

  test('create -f, get in every output form, describe', async () => {
    const created = await k(['create', '-f', '-'], POD);
    assert.equal(created.trim(), 'pod/p1 created');
    const table = await k(['get', 'pods']);
    assert.match(table, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
    assert.match(table, /^p1\s+0\/1\s+Pending\s+0\s+\d+s$/m);
    const wide = await k(['get', 'pod', 'p1', '-o', 'wide']);
    assert.match(wide, /NOMINATED NODE/);
    const asJson = JSON.parse(await k(['get', 'pod', 'p1', '-o', 'json']));
    assert.equal(asJson.kind, 'Pod');
    assert.equal(asJson.spec.restartPolicy, 'Always');
    assert.equal(asJson.spec.terminationGracePeriodSeconds, 30);
    assert.equal(asJson.spec.containers[0].imagePullPolicy, 'Always');
    assert.match(asJson.metadata.uid, /^[0-9a-f-]{36}$/);
    const yaml = await k(['get', 'pod', 'p1', '-o', 'yaml']);
    assert.match(yaml, /^kind: Pod$/m);
    const jp = await k(['get', 'pod', 'p1', '-o', 'jsonpath={.spec.containers[0].image}']);
    assert.equal(jp, 'busybox');
    const desc = await k(['describe', 'pod', 'p1']);
    assert.match(desc, /^Name:\s+p1$/m);
    assert.match(desc, /^Namespace:\s+default$/m);
    assert.match(desc, /^Status:\s+Pending$/m);
  });

  test('label, annotate and field/label selectors', async () => {
    await k(['label', 'pod', 'p1', 'env=prod']);
    await k(['annotate', 'pod', 'p1', 'note=hello']);
    const pod = JSON.parse(await k(['get', 'pod', 'p1', '-o', 'json']));
    assert.equal(pod.metadata.labels.env, 'prod');
    assert.equal(pod.metadata.annotations.note, 'hello');
    assert.match(await k(['get', 'pods', '-l', 'env=prod', '-o', 'name']), /pod\/p1/);
    assert.equal((await k(['get', 'pods', '-l', 'env notin (prod)', '-o', 'name'])).trim(), '');
    assert.match(await k(['get', 'pods', '--field-selector', 'metadata.name=p1', '-o', 'name']), /pod\/p1/);
    assert.match(await k(['get', 'pods', '--field-selector', 'status.phase=Pending', '-o', 'name']), /pod\/p1/);
    assert.equal((await k(['get', 'pods', '--field-selector', 'status.phase=Running', '-o', 'name'])).trim(), '');
    const bad = await kubectl(s.kubeconfig, ['get', 'pods', '--field-selector', 'spec.bogus=1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /field label not supported: spec\.bogus/);
  });

  test('patch with all three types', async () => {
    await k(['patch', 'pod', 'p1', '--type=merge', '-p', '{"metadata":{"labels":{"merged":"yes"}}}']);
    await k(['patch', 'pod', 'p1', '--type=json', '-p', '[{"op":"add","path":"/metadata/labels/json","value":"yes"}]']);
    await k(['patch', 'pod', 'p1', '-p', '{"spec":{"containers":[{"name":"main","image":"busybox:1.36"}]}}']);
    const pod = JSON.parse(await k(['get', 'pod', 'p1', '-o', 'json']));
    assert.equal(pod.metadata.labels.merged, 'yes');
    assert.equal(pod.metadata.labels.json, 'yes');
    assert.equal(pod.spec.containers.length, 1);
    assert.equal(pod.spec.containers[0].image, 'busybox:1.36');
    assert.deepEqual(pod.spec.containers[0].command, ['sleep', '3600']);
  });

  test('apply twice with a changed manifest updates in place', async () => {
    const file = join(s.dir, 'deploy.yaml');
    await writeFile(file, DEPLOY_V1);
    assert.match(await k(['apply', '-f', file]), /deployment.apps\/web created/);
    const first = JSON.parse(await k(['get', 'deploy', 'web', '-o', 'json']));
    await writeFile(file, DEPLOY_V2);
    assert.match(await k(['apply', '-f', file]), /deployment.apps\/web configured/);
    const second = JSON.parse(await k(['get', 'deploy', 'web', '-o', 'json']));
    assert.equal(second.metadata.uid, first.metadata.uid);
    assert.equal(second.spec.replicas, 3);
    assert.equal(second.spec.template.spec.containers[0].image, 'nginx:1.26');
    assert.deepEqual(second.spec.template.spec.containers[0].env, [{ name: 'MODE', value: 'one' }]);
    assert.equal(second.metadata.generation, 2);
    assert.match(await k(['apply', '-f', file]), /deployment.apps\/web unchanged/);
  });

  test('create deployment and scale', async () => {
    await k(['create', 'deployment', 'api', '--image=nginx', '--replicas=1']);
    assert.match(await k(['scale', 'deployment', 'api', '--replicas=4']), /deployment.apps\/api scaled/);
    const d = JSON.parse(await k(['get', 'deploy', 'api', '-o', 'json']));
    assert.equal(d.spec.replicas, 4);
    assert.equal(d.spec.strategy.type, 'RollingUpdate');
    assert.equal(d.spec.revisionHistoryLimit, 10);
    const table = await k(['get', 'deploy']);
    assert.match(table, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m);
    assert.match(table, /^api\s+0\/4\s+0\s+0\s+\d+s$/m);
  });

  test('get -w streams changes as table rows', async () => {
    const child = spawn(KUBECTL, ['--kubeconfig', s.kubeconfig, 'get', 'configmaps', '-w', '--no-headers'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const waitFor = async (re: RegExp) => {
      while (!re.test(out)) {
        if (child.exitCode !== null) throw new Error(`kubectl get -w exited: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await k(['create', 'configmap', 'watched', '--from-literal=a=1']);
      await waitFor(/^watched\s+1\s+\d+s$/m);
      await k(['patch', 'configmap', 'watched', '--type=merge', '-p', '{"data":{"b":"2"}}']);
      await waitFor(/^watched\s+2\s+\d+s$/m);
    } finally {
      child.kill();
    }
  });

  test('explain and openapi', async () => {
    const ex = await k(['explain', 'pod.spec.containers']);
    assert.match(ex, /KIND:\s+Pod/);
    assert.match(ex, /FIELD:\s+containers/);
    assert.match(ex, /image\s+<string>/);
    const raw = JSON.parse(await k(['get', '--raw', '/openapi/v2']));
    assert.equal(raw.swagger, '2.0');
    assert.ok(raw.definitions['io.k8s.api.core.v1.Pod']);
  });

  test('delete waits until the object is gone', async () => {
    assert.match(await k(['delete', 'pod', 'p1']), /pod "p1" deleted/);
    const r = await kubectl(s.kubeconfig, ['get', 'pod', 'p1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(NotFound\): pods "p1" not found/);
    assert.match(await k(['delete', 'deployment', 'web', 'api']), /deployment.apps "web" deleted/);
  });

  test('errors are printed as upstream does', async () => {
    const r = await kubectl(s.kubeconfig, ['get', 'pod', 'nope']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error from server \(NotFound\): pods "nope" not found$/m);
    await k(['create', 'configmap', 'dup']);
    const d = await kubectl(s.kubeconfig, ['create', 'configmap', 'dup']);
    assert.match(d.stderr, /^error: failed to create configmap: configmaps "dup" already exists$/m);
    const f = await kubectl(s.kubeconfig, ['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dup' } }) });
    assert.match(f.stderr, /^Error from server \(AlreadyExists\): error when creating "STDIN": configmaps "dup" already exists$/m);
  });
});
