import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { encryptionFromConfig, loadEncryptionConfig } from '../../src/auth/encryption.js';
import { auditLevel, createAuditLogger, parseAuditPolicy, type AuditAttributes } from '../../src/auth/audit.js';

const key = () => randomBytes(32).toString('base64');

test('aesgcm: upstream prefix, nothing readable at rest, round trip, bound to the storage key', () => {
  const t = encryptionFromConfig({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [{ resources: ['secrets'], providers: [{ aesgcm: { keys: [{ name: 'key1', secret: key() }] } }, { identity: {} }] }],
  });
  const plain = JSON.stringify({ kind: 'Secret', data: { password: 'c2VjcmV0' } });
  const stored = t.encrypt('secrets', plain, '/registry/secrets/default/db');
  assert.ok(stored.startsWith('k8s:enc:aesgcm:v1:key1:'));
  assert.ok(!stored.includes('c2VjcmV0'));
  assert.notEqual(t.encrypt('secrets', plain, '/registry/secrets/default/db'), stored, 'fresh nonce each time');
  assert.equal(t.decrypt('secrets', stored, '/registry/secrets/default/db'), plain);
  assert.throws(() => t.decrypt('secrets', stored, '/registry/secrets/default/other'));
  // identity in the list still reads data written before encryption was turned on
  assert.equal(t.decrypt('secrets', plain), plain);
  assert.equal(t.encrypt('configmaps', plain), plain);
  assert.equal(t.encrypts('secrets'), true);
  assert.equal(t.encrypts('configmaps'), false);
});

test('key rotation: a new first key encrypts, the old one still decrypts; aescbc too', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-enc-'));
  try {
    const k1 = key();
    const k2 = key();
    const old = encryptionFromConfig({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources: [{ resources: ['secrets'], providers: [{ aescbc: { keys: [{ name: 'k1', secret: k1 }] } }] }] });
    const written = old.encrypt('secrets', 'hello');
    assert.ok(written.startsWith('k8s:enc:aescbc:v1:k1:'));
    const path = join(dir, 'enc.yaml');
    await writeFile(
      path,
      ['apiVersion: apiserver.config.k8s.io/v1', 'kind: EncryptionConfiguration', 'resources:', '  - resources: ["secrets"]', '    providers:', '      - aesgcm:', `          keys: [{name: k2, secret: "${k2}"}]`, '      - aescbc:', `          keys: [{name: k1, secret: "${k1}"}]`].join('\n'),
    );
    const rotated = loadEncryptionConfig(path);
    assert.equal(rotated.decrypt('secrets', written), 'hello');
    assert.ok(rotated.encrypt('secrets', 'hello').startsWith('k8s:enc:aesgcm:v1:k2:'));
    assert.throws(() => rotated.decrypt('secrets', 'plaintext'), /no matching prefix/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const POLICY = `
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    users: ["system:kube-proxy"]
  - level: None
    nonResourceURLs: ["/healthz*", "/version"]
  - level: Metadata
    resources: [{group: "", resources: ["secrets", "configmaps"]}]
  - level: RequestResponse
    resources: [{group: "", resources: ["pods"]}]
  - level: Request
    verbs: ["create", "update", "patch", "delete"]
  - level: Metadata
`;

test('audit policy: first matching rule sets the level', () => {
  const p = parseAuditPolicy(POLICY);
  const u = { username: 'alice', groups: ['system:authenticated'] };
  const at = (x: Partial<AuditAttributes>): AuditAttributes => ({ user: u, verb: 'get', resourceRequest: true, apiGroup: '', path: '/', ...x });
  assert.equal(auditLevel(p, at({ resource: 'secrets', verb: 'create' })).level, 'Metadata');
  assert.equal(auditLevel(p, at({ resource: 'pods' })).level, 'RequestResponse');
  assert.equal(auditLevel(p, at({ resource: 'deployments', apiGroup: 'apps', verb: 'patch' })).level, 'Request');
  assert.equal(auditLevel(p, at({ resource: 'deployments', apiGroup: 'apps' })).level, 'Metadata');
  assert.equal(auditLevel(p, at({ resourceRequest: false, path: '/healthz/ready' })).level, 'None');
  assert.equal(auditLevel(p, at({ user: { username: 'system:kube-proxy', groups: [] }, resource: 'pods' })).level, 'None');
});

test('audit log: one audit.k8s.io/v1 Event line per request, bodies by level', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-audit-'));
  try {
    const policyFile = join(dir, 'policy.yaml');
    await writeFile(policyFile, POLICY);
    const logPath = join(dir, 'audit.log');
    const log = createAuditLogger({ policyFile, logPath });
    const user = { username: 'alice', groups: ['system:authenticated'] };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' } };
    const base = { requestURI: '/api/v1/namespaces/default/pods', sourceIPs: ['127.0.0.1'], userAgent: 'kubectl/v1.32.0', requestReceived: new Date() };
    log.log({ ...base, attrs: { user, verb: 'create', resourceRequest: true, apiGroup: '', apiVersion: 'v1', resource: 'pods', namespace: 'default', name: 'web', path: base.requestURI }, code: 201, requestObject: pod, responseObject: pod });
    log.log({ ...base, attrs: { user, verb: 'get', resourceRequest: true, apiGroup: '', apiVersion: 'v1', resource: 'secrets', namespace: 'default', name: 'db', path: '/' }, code: 200, requestObject: {}, responseObject: { data: { p: 'x' } } });
    log.log({ ...base, attrs: { user, verb: 'get', resourceRequest: false, path: '/healthz' }, code: 200 });
    await log.close();
    const lines = (await readFile(logPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    const [create, secret] = lines;
    assert.equal(create.kind, 'Event');
    assert.equal(create.apiVersion, 'audit.k8s.io/v1');
    assert.equal(create.level, 'RequestResponse');
    assert.equal(create.stage, 'ResponseComplete');
    assert.deepEqual(create.objectRef, { resource: 'pods', namespace: 'default', name: 'web', apiVersion: 'v1' });
    assert.deepEqual(create.responseStatus, { metadata: {}, code: 201 });
    assert.deepEqual(create.requestObject, pod);
    assert.match(create.requestReceivedTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(secret.level, 'Metadata');
    assert.equal(secret.requestObject, undefined);
    assert.equal(secret.responseObject, undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
