// Issue #10, end to end with the real kubectl 1.32: authentication. No
// credentials, bad credentials of every kind (expired, forged, alg none,
// tampered, wrong audience, revoked by deleting the ServiceAccount, a client
// certificate from another CA) all end in upstream's bare 401; the static
// token file and bootstrap tokens work; TLS is verified both ways and the
// secure port speaks nothing but TLS; client-node with an in-cluster-style
// config (server, CA, service account token) lists pods.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { createSign, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import * as k8s from '@kubernetes/client-node';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { writeKubeconfig } from '../../src/apiserver/kubeconfig.js';
import { ensureClusterPki, issueClientCert } from '../../src/pki/index.js';
import { DEFAULT_ISSUER, issueBoundToken } from '../../src/auth/serviceaccount/token.js';
import { UNAUTHORIZED, fails, kubectl, kubectlOk, noCredentialsKubeconfig, ok, whoami } from './kubectl-auth-helpers.js';

let s: TestServer;
let tmp: string;
let admin: string;
let botUid: string;

const b64 = (x: string) => Buffer.from(x).toString('base64');
const b64url = (x: unknown) => Buffer.from(JSON.stringify(x)).toString('base64url');

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'k8ts-authn-'));
  const tokenFile = join(tmp, 'tokens.csv');
  await writeFile(tokenFile, ['# token,user,uid,"groups"', 'alice-static-token-0123456789,alice,uid-alice,"dev,ops"', 'bob-static-token-0123456789,bob,uid-bob'].join('\n') + '\n', { mode: 0o600 });
  s = await startTestServer({ secure: true, tokenAuthFile: tokenFile });
  admin = s.kubeconfig;
  await kubectlOk(admin, ['create', 'namespace', 'team']);
  for (const ns of ['team', 'default']) await kubectlOk(admin, ['create', 'serviceaccount', 'default', '-n', ns]);
  await kubectlOk(admin, ['create', 'serviceaccount', 'bot', '-n', 'team']);
  await kubectlOk(admin, ['create', 'rolebinding', 'bot-edit', '--clusterrole=edit', '--serviceaccount=team:bot', '-n', 'team']);
  await kubectlOk(admin, ['run', 'seed', '--image=busybox', '-n', 'team']);
  botUid = (await kubectlOk(admin, ['get', 'serviceaccount', 'bot', '-n', 'team', '-o', 'jsonpath={.metadata.uid}'])).trim();
});

after(async () => {
  await s?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A bound token for team/bot signed with the given key (the server's by default). */
function botToken(opts: { now?: Date; expirationSeconds?: number; keyPem?: string; audiences?: string[] } = {}): Promise<string> {
  return issueBoundToken(opts.keyPem ?? s.pki!.saSigningKeyPem, {
    namespace: 'team',
    serviceAccount: { name: 'bot', uid: botUid },
    audiences: opts.audiences ?? [DEFAULT_ISSUER],
    expirationSeconds: opts.expirationSeconds ?? 3600,
    issuer: DEFAULT_ISSUER,
    now: opts.now,
  }).then((t) => t.token);
}

async function expectUnauthorized(token: string, what: string): Promise<void> {
  fails(await kubectl(await s.kubeconfigWithToken(token), ['get', 'pods', '-n', 'team']), UNAUTHORIZED, what);
}

function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: string }> {
  const u = new URL(s.url);
  return new Promise((resolve, reject) => {
    const req = https.get({ host: u.hostname, port: u.port, path, ca: s.pki!.caCertPem, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
  });
}

const UNAUTHORIZED_STATUS = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };

describe('no or bad credentials: 401', () => {
  test('no credentials at all (anonymous auth off)', async () => {
    const none = await noCredentialsKubeconfig(s);
    fails(await kubectl(none, ['get', 'pods']), UNAUTHORIZED, 'get pods');
    fails(await kubectl(none, ['auth', 'whoami']), UNAUTHORIZED, 'whoami');
    fails(await kubectl(none, ['get', '--raw', '/version']), UNAUTHORIZED, 'get --raw /version');
    const raw = await rawGet('/api/v1/namespaces/default/pods');
    assert.equal(raw.status, 401);
    assert.equal(raw.type, 'application/json');
    assert.deepEqual(JSON.parse(raw.body), UNAUTHORIZED_STATUS);
  });

  test('a token nobody issued, and a malformed Authorization header', async () => {
    await expectUnauthorized('not-a-real-token', 'unknown opaque token');
    const raw = await rawGet('/api', { Authorization: 'Bearer ' });
    assert.equal(raw.status, 401);
  });

  test('the control: a token minted here with the server key, ten minutes ago, works', async () => {
    const kc = await s.kubeconfigWithToken(await botToken({ now: new Date(Date.now() - 600_000) }));
    assert.equal((await whoami(kc)).get('Username'), 'system:serviceaccount:team:bot');
    assert.match(ok(await kubectl(kc, ['get', 'pods', '-n', 'team']), 'get pods'), /^seed\s/m);
  });

  test('an expired service account token', async () => {
    await expectUnauthorized(await botToken({ now: new Date(Date.now() - 2 * 3600_000), expirationSeconds: 3600 }), 'expired an hour ago');
  });

  test('a token signed by another key (forged): same header and claims, only the signature differs', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const genuine = await botToken();
    const [h, p] = genuine.split('.') as [string, string, string];
    const sig = createSign('RSA-SHA256').update(`${h}.${p}`).sign(privateKey).toString('base64url');
    await expectUnauthorized(`${h}.${p}.${sig}`, 'forged signature');
    // And one minted whole with the other key (its own kid).
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expectUnauthorized(await botToken({ keyPem: pem }), 'token from another key');
  });

  test('alg: none, and a genuine signature over altered claims', async () => {
    const genuine = await botToken();
    const [, payload] = genuine.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    await expectUnauthorized(`${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.`, 'alg none');
    await expectUnauthorized(`${b64url({ alg: 'none' })}.${b64url({ ...claims, sub: 'system:serviceaccount:kube-system:default' })}.`, 'alg none, other subject');
    const [h, , sig] = genuine.split('.') as [string, string, string];
    const escalated = { ...claims, 'kubernetes.io': { ...(claims['kubernetes.io'] as object), namespace: 'kube-system' } };
    await expectUnauthorized(`${h}.${b64url(escalated)}.${sig}`, 'tampered claims');
    await expectUnauthorized(`${h}.${payload}.${sig.slice(0, -4)}AAAA`, 'tampered signature');
  });

  test('a TokenRequest for another audience', async () => {
    const foo = (await kubectlOk(admin, ['create', 'token', 'bot', '-n', 'team', '--audience=foo'])).trim();
    await expectUnauthorized(foo, 'audience foo');
    // The same request without --audience is accepted: only the audience differs.
    const good = (await kubectlOk(admin, ['create', 'token', 'bot', '-n', 'team'])).trim();
    ok(await kubectl(await s.kubeconfigWithToken(good), ['get', 'pods', '-n', 'team']), 'default audience');
  });

  test('TokenReview agrees: authenticated for the API audience, not for foo', async () => {
    const good = (await kubectlOk(admin, ['create', 'token', 'bot', '-n', 'team'])).trim();
    // --raw: `create -f` of a kind without a PATCH operation makes kubectl look for CRDs, and apiextensions is not served yet.
    const review = (token: string) =>
      kubectlOk(admin, ['create', '--raw', '/apis/authentication.k8s.io/v1/tokenreviews', '-f', '-'], { input: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }) });
    const yes = JSON.parse(await review(good)) as { status: { authenticated: boolean; user: { username: string } } };
    assert.equal(yes.status.authenticated, true);
    assert.equal(yes.status.user.username, 'system:serviceaccount:team:bot');
    const foo = (await kubectlOk(admin, ['create', 'token', 'bot', '-n', 'team', '--audience=foo'])).trim();
    const no = JSON.parse(await review(foo)) as { status: { authenticated?: boolean } };
    assert.notEqual(no.status.authenticated, true);
  });

  test('deleting the ServiceAccount revokes its tokens, and recreating it does not bring them back', async () => {
    await kubectlOk(admin, ['create', 'serviceaccount', 'doomed', '-n', 'team']);
    const token = (await kubectlOk(admin, ['create', 'token', 'doomed', '-n', 'team'])).trim();
    const kc = await s.kubeconfigWithToken(token);
    assert.equal((await whoami(kc)).get('Username'), 'system:serviceaccount:team:doomed');
    await kubectlOk(admin, ['delete', 'serviceaccount', 'doomed', '-n', 'team']);
    fails(await kubectl(kc, ['auth', 'whoami']), UNAUTHORIZED, 'deleted service account');
    await kubectlOk(admin, ['create', 'serviceaccount', 'doomed', '-n', 'team']);
    fails(await kubectl(kc, ['auth', 'whoami']), UNAUTHORIZED, 'recreated service account (new uid)');
  });

  test('a client certificate for system:masters from another CA', async () => {
    const foreign = await ensureClusterPki(join(tmp, 'foreign-pki'), { hostnames: ['localhost'], ips: ['127.0.0.1'] });
    const cert = await issueClientCert(foreign, { commonName: 'kubernetes-admin', organizations: ['system:masters'] });
    const path = join(tmp, 'foreign-cert.yaml');
    await writeKubeconfig(path, { server: s.url, caData: b64(s.pki!.caCertPem), user: 'mallory', clientCertData: b64(cert.certPem), clientKeyData: b64(cert.keyPem) });
    fails(await kubectl(path, ['get', 'pods']), UNAUTHORIZED, 'foreign client certificate');
    fails(await kubectl(path, ['get', 'secrets', '-A']), UNAUTHORIZED, 'foreign client certificate');
  });
});

describe('static token file and bootstrap tokens', () => {
  test('--token-auth-file users authenticate with their uid and groups, and RBAC applies to the groups', async () => {
    const alice = await s.kubeconfigWithToken('alice-static-token-0123456789');
    assert.deepEqual([...(await whoami(alice))], [
      ['Username', 'alice'],
      ['UID', 'uid-alice'],
      ['Groups', '[dev ops system:authenticated]'],
    ]);
    fails(await kubectl(alice, ['get', 'pods', '-n', 'team']), 'Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "team"', 'alice before binding');
    await kubectlOk(admin, ['create', 'rolebinding', 'dev-view', '--clusterrole=view', '--group=dev', '-n', 'team']);
    assert.match(ok(await kubectl(alice, ['get', 'pods', '-n', 'team']), 'alice after binding'), /^seed\s/m);
    const bob = await s.kubeconfigWithToken('bob-static-token-0123456789');
    assert.deepEqual([...(await whoami(bob))], [
      ['Username', 'bob'],
      ['UID', 'uid-bob'],
      ['Groups', '[system:authenticated]'],
    ]);
    fails(await kubectl(bob, ['get', 'pods', '-n', 'team']), 'Error from server (Forbidden): pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "team"', 'bob');
    await expectUnauthorized('alice-static-token-012345678', 'a static token one character short');
  });

  test('a bootstrap token Secret in kube-system authenticates system:bootstrap:ID', async () => {
    await kubectlOk(admin, ['create', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' },
        type: 'bootstrap.kubernetes.io/token',
        stringData: { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true', 'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token' },
      }),
    });
    const kc = await s.kubeconfigWithToken('abcdef.0123456789abcdef');
    assert.deepEqual([...(await whoami(kc))], [
      ['Username', 'system:bootstrap:abcdef'],
      ['Groups', '[system:bootstrappers system:bootstrappers:kubeadm:default-node-token system:authenticated]'],
    ]);
    await expectUnauthorized('abcdef.0123456789abcdee', 'wrong bootstrap secret');
    await kubectlOk(admin, ['delete', 'secret', 'bootstrap-token-abcdef', '-n', 'kube-system']);
    fails(await kubectl(kc, ['auth', 'whoami']), UNAUTHORIZED, 'deleted bootstrap token');
  });
});

describe('TLS only, verified both ways', () => {
  test('a plain HTTP request to the secure port gets no API response', async () => {
    const u = new URL(s.url);
    const outcome = await new Promise<string>((resolve) => {
      const req = http.get({ host: u.hostname, port: u.port, path: '/api/v1/namespaces/team/pods', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve(`${res.statusCode} ${body}`));
      });
      req.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
    });
    // Either the connection is dropped, or (as Go's TLS server does) a bare 400 without any API content.
    assert.ok(/^error E[A-Z]+$/.test(outcome) || outcome === '400 Client sent an HTTP request to an HTTPS server.\n', outcome);
    assert.doesNotMatch(outcome, /seed|PodList|"kind"/);
  });

  test('kubectl pointed at http:// on the secure port fails', async () => {
    const path = join(tmp, 'plain.yaml');
    await writeKubeconfig(path, { server: s.url.replace(/^https:/, 'http:'), user: 'plain' });
    const r = await kubectl(path, ['get', 'pods', '-n', 'team']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
  });

  test('the admin kubeconfig pins the cluster CA and never skips verification', async () => {
    const cfg = parse(await readFile(admin, 'utf8')) as { clusters: { cluster: Record<string, unknown> }[]; users: { user: Record<string, unknown> }[] };
    const cluster = cfg.clusters[0]!.cluster;
    assert.match(String(cluster.server), /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(Buffer.from(String(cluster['certificate-authority-data']), 'base64').toString('utf8'), s.pki!.caCertPem);
    assert.equal(cluster['insecure-skip-tls-verify'], undefined);
    assert.ok(cfg.users[0]!.user['client-certificate-data'] && cfg.users[0]!.user['client-key-data']);
    assert.equal(cfg.users[0]!.user.token, undefined);
  });

  test('kubectl trusting another CA refuses the server', async () => {
    const other = await ensureClusterPki(join(tmp, 'other-ca'), { hostnames: ['localhost'], ips: ['127.0.0.1'] });
    const path = join(tmp, 'wrong-ca.yaml');
    await writeKubeconfig(path, { server: s.url, caData: b64(other.caCertPem), user: 'admin', clientCertData: b64(s.pki!.adminCertPem), clientKeyData: b64(s.pki!.adminKeyPem) });
    const r = await kubectl(path, ['get', 'pods']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /x509: certificate signed by unknown authority/);
  });
});

describe('in-cluster style client: @kubernetes/client-node with server, CA and a service account token', () => {
  test('lists pods in its namespace and is refused elsewhere with the 403 Status', async () => {
    const token = (await kubectlOk(admin, ['create', 'token', 'bot', '-n', 'team'])).trim();
    const kc = new k8s.KubeConfig();
    // What loadFromCluster() builds from KUBERNETES_SERVICE_HOST and /var/run/secrets/kubernetes.io/serviceaccount.
    kc.loadFromOptions({
      clusters: [{ name: 'inCluster', server: s.url, caData: b64(s.pki!.caCertPem), skipTLSVerify: false }],
      users: [{ name: 'inClusterUser', token }],
      contexts: [{ name: 'inClusterContext', cluster: 'inCluster', user: 'inClusterUser', namespace: 'team' }],
      currentContext: 'inClusterContext',
    });
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: 'team' });
    assert.deepEqual(pods.items.map((p) => p.metadata?.name), ['seed']);
    await assert.rejects(core.listNamespacedPod({ namespace: 'default' }), (e: unknown) => {
      assert.ok(e instanceof k8s.ApiException, String(e));
      assert.equal(e.code, 403);
      const body = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as { reason: string; message: string };
      assert.equal(body.reason, 'Forbidden');
      assert.equal(body.message, 'pods is forbidden: User "system:serviceaccount:team:bot" cannot list resource "pods" in API group "" in the namespace "default"');
      return true;
    });
    const review = await kc.makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    assert.equal(review.status?.userInfo?.username, 'system:serviceaccount:team:bot');
  });
});
