import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureClusterPki, issueClientCert, serverTlsOptions, type ClusterPki } from '../../src/pki/index.js';
import { createCa, issueLeaf } from '../../src/pki/x509.js';
import { createAuthenticator, type Authenticator } from '../../src/auth/authn/index.js';
import { StatusError } from '../../src/api/errors.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import { fakeRegistry } from './fake-registry.js';

let dir: string;
let pki: ClusterPki;
const registry = fakeRegistry();
let server: https.Server;
let port: number;
let authn: Authenticator;
let anonAuthn: Authenticator;

const b64 = (s: string) => Buffer.from(s).toString('base64');

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8ts-authn-'));
  pki = await ensureClusterPki(dir, { hostnames: [], ips: [] });
  const tokenFile = join(dir, 'tokens.csv');
  await writeFile(tokenFile, ['# comment', 'static-token-1,dora,u-dora,"devs,ops"', 'static-token-2,erin,u-erin'].join('\n'));
  authn = createAuthenticator({ pki, registry, tokenAuthFile: tokenFile, anonymous: false, apiAudiences: [] });
  anonAuthn = createAuthenticator({ pki, registry, anonymous: true, apiAudiences: [] });
  const secrets = registry.fake(resourceFor('', 'v1', 'secrets')!);
  const future = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const past = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  await secrets.create('kube-system', {
    metadata: { name: 'bootstrap-token-abcdef' },
    type: 'bootstrap.kubernetes.io/token',
    data: { 'token-id': b64('abcdef'), 'token-secret': b64('0123456789abcdef'), 'usage-bootstrap-authentication': b64('true'), expiration: b64(future), 'auth-extra-groups': b64('system:bootstrappers:kubeadm:default-node-token') },
  });
  await secrets.create('kube-system', {
    metadata: { name: 'bootstrap-token-expire' },
    type: 'bootstrap.kubernetes.io/token',
    data: { 'token-id': b64('expire'), 'token-secret': b64('0123456789abcdef'), 'usage-bootstrap-authentication': b64('true'), expiration: b64(past) },
  });
  server = https.createServer(serverTlsOptions(pki), (req, res) => {
    const which = req.url === '/anon' ? anonAuthn : authn;
    which.authenticate(req).then(
      (user) => {
        res.writeHead(user ? 200 : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify(user));
      },
      (err: unknown) => {
        const e = err as StatusError;
        res.writeHead(e.code ?? 500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: e.message, reason: e.reason }));
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  await new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
  await rm(dir, { recursive: true, force: true });
});

function call(opts: { cert?: string; key?: string; token?: string; path?: string }): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: opts.path ?? '/',
        ca: pki.caCertPem,
        cert: opts.cert,
        key: opts.key,
        agent: false,
        headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
      },
      (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(data) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('the admin client certificate authenticates as a system:masters member', async () => {
  const r = await call({ cert: pki.adminCertPem, key: pki.adminKeyPem });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] });
});

test('an issued client certificate maps CN to the user and each O to a group', async () => {
  const c = await issueClientCert(pki, { commonName: 'alice', organizations: ['dev', 'ops'] });
  const r = await call({ cert: c.certPem, key: c.keyPem });
  assert.deepEqual(r.body, { username: 'alice', groups: ['dev', 'ops', 'system:authenticated'] });
});

test('a certificate from another CA is refused with 401, even with anonymous access on', async () => {
  const other = await createCa('evil-ca', 30);
  const c = await issueLeaf(other, { subject: { commonName: 'kubernetes-admin', organizations: ['system:masters'] }, days: 30, usages: ['client'] });
  const r = await call({ cert: c.certPem, key: c.keyPem });
  assert.equal(r.status, 401);
  assert.deepEqual(r.body, { message: 'Unauthorized', reason: 'Unauthorized' });
  assert.equal((await call({ cert: c.certPem, key: c.keyPem, path: '/anon' })).status, 401);
});

test('a server-only certificate is not accepted as a client credential', async () => {
  const c = await issueLeaf({ certPem: pki.caCertPem, keyPem: pki.caKeyPem }, { subject: { commonName: 'sneaky' }, days: 30, usages: ['server'] });
  assert.equal((await call({ cert: c.certPem, key: c.keyPem })).status, 401);
});

test('no credentials: none without anonymous auth, system:anonymous with it', async () => {
  const r = await call({});
  assert.equal(r.status, 401);
  assert.equal(r.body, null);
  const a = await call({ path: '/anon' });
  assert.deepEqual(a.body, { username: 'system:anonymous', groups: ['system:unauthenticated'] });
});

test('static token file users, with quoted group lists', async () => {
  assert.deepEqual((await call({ token: 'static-token-1' })).body, { username: 'dora', uid: 'u-dora', groups: ['devs', 'ops', 'system:authenticated'] });
  assert.deepEqual((await call({ token: 'static-token-2' })).body, { username: 'erin', uid: 'u-erin', groups: ['system:authenticated'] });
  assert.equal((await call({ token: 'static-token-3' })).status, 401);
});

test('bootstrap tokens: valid, expired, wrong secret', async () => {
  assert.deepEqual((await call({ token: 'abcdef.0123456789abcdef' })).body, {
    username: 'system:bootstrap:abcdef',
    groups: ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', 'system:authenticated'],
  });
  assert.equal((await call({ token: 'expire.0123456789abcdef' })).status, 401);
  assert.equal((await call({ token: 'abcdef.0123456789abcdee' })).status, 401);
});

test('a client certificate wins over a bearer token, as upstream orders them', async () => {
  const r = await call({ cert: pki.adminCertPem, key: pki.adminKeyPem, token: 'static-token-1' });
  assert.equal(r.body.username, 'kubernetes-admin');
});
