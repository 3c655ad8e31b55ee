import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startK8ts } from '../helpers/k8ts-process.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';

// --audit-policy-file + --audit-log-path: one audit.k8s.io/v1 Event per
// request at the level the policy picks, bodies only where it asks for them.

test('audit log: levels from the policy, one JSON event per request', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-audit-'));
  const policy = join(dir, 'policy.yaml');
  const log = join(dir, 'audit.log');
  await writeFile(
    policy,
    `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
  nonResourceURLs: ["/api*", "/apis*", "/openapi*", "/version"]
- level: RequestResponse
  resources: [{ group: "", resources: ["configmaps"] }]
- level: Metadata
`,
  );
  const server = await startK8ts(['apiserver', '--data-dir', dir, '--port', '0', '--audit-policy-file', policy, '--audit-log-path', log]);
  try {
    const kc = join(dir, 'kubeconfig.yaml');
    await kubectlOk(kc, ['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'audited' }, data: { k: 'v' } }) });
    await kubectlOk(kc, ['get', 'namespaces']);
    const denied = await kubectl(kc, ['get', 'pods', '--as', 'nobody']);
    assert.notEqual(denied.code, 0);
  } finally {
    await server.stop();
  }
  try {
    const events = (await readFile(log, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(events.every((e) => e.kind === 'Event' && e.apiVersion === 'audit.k8s.io/v1' && e.stage === 'ResponseComplete'));
    assert.ok(!events.some((e) => /^\/(api|apis|openapi|version)(\/|$|\?)/.test(e.requestURI) && !e.objectRef), 'discovery is at level None');
    const create = events.find((e) => e.verb === 'create' && e.objectRef?.resource === 'configmaps');
    assert.ok(create, 'the create is logged');
    assert.equal(create.level, 'RequestResponse');
    assert.equal(create.user.username, 'kubernetes-admin');
    assert.equal(create.objectRef.name ?? create.responseObject?.metadata?.name, 'audited');
    assert.equal(create.responseStatus.code, 201);
    assert.equal(create.requestObject.data.k, 'v');
    assert.equal(create.responseObject.metadata.name, 'audited');
    const list = events.find((e) => e.verb === 'list' && e.objectRef?.resource === 'namespaces');
    assert.equal(list.level, 'Metadata');
    assert.equal(list.requestObject, undefined);
    assert.equal(list.responseObject, undefined);
    const forbidden = events.find((e) => e.responseStatus?.code === 403);
    assert.ok(forbidden, 'a denied request is logged too');
    assert.equal(forbidden.user.username, 'kubernetes-admin');
    assert.equal(forbidden.impersonatedUser.username, 'nobody');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
