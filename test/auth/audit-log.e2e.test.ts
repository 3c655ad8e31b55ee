import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
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
    // A kubeconfig with a bearer token in place of the admin's certificate.
    const withToken = async (name: string, token: string) => {
      const cfg = parse(await readFile(kc, 'utf8')) as { users: { user: Record<string, string> }[] };
      cfg.users[0]!.user = { token };
      const path = join(dir, name);
      await writeFile(path, stringify(cfg), { mode: 0o600 });
      return path;
    };
    const unauthenticated = await kubectl(await withToken('bogus.yaml', 'not-a-token-we-issued'), ['get', '--raw', '/api/v1/namespaces/default/secrets']);
    assert.notEqual(unauthenticated.code, 0);
    await kubectlOk(kc, ['create', 'serviceaccount', 'mallory']);
    const token = (await kubectlOk(kc, ['create', 'token', 'mallory'])).trim();
    const refused = await kubectl(await withToken('mallory.yaml', token), ['get', 'pods', '--as', 'kubernetes-admin']);
    assert.notEqual(refused.code, 0);
  } finally {
    await server.stop();
  }
  try {
    const events = (await readFile(log, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(events.every((e) => e.kind === 'Event' && e.apiVersion === 'audit.k8s.io/v1'));
    assert.ok(events.filter((e) => e.stage !== 'ResponseComplete').every((e) => e.stage === 'ResponseStarted' && e.responseStatus.code === 401));
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
    // Failed authentication: no user, what was attempted, as upstream's failed-authentication filter.
    const noAuth = events.find((e) => e.responseStatus?.code === 401 && e.objectRef?.resource === 'secrets');
    assert.ok(noAuth, 'a request that failed authentication is logged');
    assert.equal(noAuth.stage, 'ResponseStarted');
    assert.deepEqual(noAuth.user, {});
    assert.equal(noAuth.responseStatus.message, 'Authentication failed, attempted: bearer');
    // A refused impersonation is logged under the user who tried it.
    const impersonation = events.find((e) => e.responseStatus?.code === 403 && e.user?.username === 'system:serviceaccount:default:mallory');
    assert.ok(impersonation, 'a refused impersonation is logged');
    assert.equal(impersonation.impersonatedUser, undefined);
    assert.match(impersonation.responseStatus.message, /cannot impersonate resource "users"/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
