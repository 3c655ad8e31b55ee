// Every patch type through the real kubectl: `kubectl patch` (json, merge,
// strategic), client-side `kubectl apply` twice with a changed manifest, and
// server-side apply with a conflicting change, then --force-conflicts.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';

const DEPLOY = (name: string, replicas: number, image: string, env: string[], ports: number[]) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: { app: ${name} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
      - name: web
        image: ${image}
${env.length ? `        env:\n${env.map((e) => `        - { name: ${e}, value: "x" }`).join('\n')}\n` : ''}${ports.length ? `        ports:\n${ports.map((p) => `        - containerPort: ${p}`).join('\n')}\n` : ''}`;

describe('kubectl patch and apply against k8ts', () => {
  let s: TestServer;
  const k = (args: string[], input?: string): Promise<string> => kubectlOk(s.kubeconfig, args, { input });
  const get = async (kind: string, name: string): Promise<any> => JSON.parse(await k(['get', kind, name, '-o', 'json', '--show-managed-fields']));

  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s?.close();
  });

  test('kubectl patch --type=json, including a failing test op', async () => {
    await k(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm-json }\ndata: { a: "1" }\n');
    await k(['patch', 'configmap', 'cm-json', '--type=json', '-p', '[{"op":"add","path":"/data/b","value":"2"},{"op":"remove","path":"/data/a"}]']);
    assert.deepEqual((await get('configmap', 'cm-json')).data, { b: '2' });
    const r = await kubectl(s.kubeconfig, ['patch', 'configmap', 'cm-json', '--type=json', '-p', '[{"op":"test","path":"/data/b","value":"3"}]']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /The request is invalid: the server rejected our request due to an error in our request/);
  });

  test('kubectl patch --type=merge replaces lists and deletes with null', async () => {
    await k(['apply', '-f', '-'], DEPLOY('mp', 1, 'nginx:1', ['A', 'B'], [80]));
    await k(['patch', 'deployment', 'mp', '--type=merge', '-p', '{"metadata":{"labels":{"extra":"yes"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"web","image":"nginx:2"}]}}}}']);
    const d = await get('deployment', 'mp');
    assert.equal(d.metadata.labels.extra, 'yes');
    assert.equal(d.spec.replicas, 2);
    assert.equal(d.spec.template.spec.containers.length, 1);
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:2');
    assert.equal(d.spec.template.spec.containers[0].env, undefined, 'a merge patch replaces the whole containers list');
    await k(['patch', 'deployment', 'mp', '--type=merge', '-p', '{"metadata":{"labels":{"extra":null}}}']);
    assert.equal((await get('deployment', 'mp')).metadata.labels.extra, undefined);
  });

  test('kubectl patch (strategic) merges containers by name; a missing merge key is refused', async () => {
    await k(['apply', '-f', '-'], DEPLOY('sp', 1, 'nginx:1', ['A'], [80]));
    await k(['patch', 'deployment', 'sp', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox"},{"name":"web","image":"nginx:2"}]}}}}']);
    const d = await get('deployment', 'sp');
    const byName = Object.fromEntries(d.spec.template.spec.containers.map((c: any) => [c.name, c]));
    assert.equal(byName.web.image, 'nginx:2');
    assert.deepEqual(byName.web.env, [{ name: 'A', value: 'x' }]);
    assert.equal(byName.side.image, 'busybox');
    const r = await kubectl(s.kubeconfig, ['patch', 'deployment', 'sp', '-p', '{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /does not contain declared merge key: name/);
  });

  test('kubectl apply twice with a changed manifest updates the Deployment in place', async () => {
    await k(['apply', '-f', '-'], DEPLOY('csa', 2, 'nginx:1', ['A', 'B'], [80]));
    const before = await get('deployment', 'csa');
    await k(['apply', '-f', '-'], DEPLOY('csa', 3, 'nginx:2', ['A'], [80, 443]));
    const d = await get('deployment', 'csa');
    assert.equal(d.metadata.uid, before.metadata.uid);
    assert.equal(d.spec.replicas, 3);
    const c = d.spec.template.spec.containers;
    assert.equal(c.length, 1);
    assert.equal(c[0].image, 'nginx:2');
    assert.deepEqual(c[0].env, [{ name: 'A', value: 'x' }]);
    assert.deepEqual(
      c[0].ports.map((p: any) => p.containerPort),
      [80, 443],
    );
    const last = JSON.parse(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    assert.equal(last.spec.replicas, 3);
    const csaEntry = d.metadata.managedFields.find((e: any) => e.manager === 'kubectl-client-side-apply');
    assert.equal(csaEntry?.operation, 'Update');
    // An unchanged re-apply is a no-op.
    const out = await k(['apply', '-f', '-'], DEPLOY('csa', 3, 'nginx:2', ['A'], [80, 443]));
    assert.match(out, /unchanged/);
  });

  test('kubectl apply --server-side, a conflicting scale, then --force-conflicts', async () => {
    const manifest = DEPLOY('ssa', 2, 'nginx:1', [], [80]);
    await k(['apply', '--server-side', '-f', '-'], manifest);
    let d = await get('deployment', 'ssa');
    const mine = d.metadata.managedFields.find((e: any) => e.manager === 'kubectl');
    assert.equal(mine.operation, 'Apply');
    assert.ok(mine.fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"web"}']);

    await k(['scale', 'deployment', 'ssa', '--replicas=5']);
    const r = await kubectl(s.kubeconfig, ['apply', '--server-side', '-f', '-'], { input: manifest });
    assert.notEqual(r.code, 0);
    // kubectl scale names no field manager: the server takes it from the user agent (the binary's name).
    assert.match(r.stderr, /Apply failed with 1 conflict: conflict with "kubectl[^"]*" with subresource "scale" using apps\/v1: \.spec\.replicas/);
    assert.equal((await get('deployment', 'ssa')).spec.replicas, 5);

    await k(['apply', '--server-side', '--force-conflicts', '-f', '-'], manifest);
    d = await get('deployment', 'ssa');
    assert.equal(d.spec.replicas, 2);
    assert.equal(
      d.metadata.managedFields.find((e: any) => e.subresource === 'scale'),
      undefined,
    );

    // Dropping a port from the manifest removes it.
    await k(['apply', '--server-side', '-f', '-'], DEPLOY('ssa', 2, 'nginx:1', [], []));
    d = await get('deployment', 'ssa');
    assert.equal(d.spec.template.spec.containers[0].ports, undefined);
  });

  test('client-side apply then server-side apply takes over without conflicts', async () => {
    await k(['apply', '-f', '-'], DEPLOY('mig', 1, 'nginx:1', [], []));
    await k(['apply', '--server-side', '-f', '-'], DEPLOY('mig', 2, 'nginx:1', [], []));
    const d = await get('deployment', 'mig');
    assert.equal(d.spec.replicas, 2);
  });
});
