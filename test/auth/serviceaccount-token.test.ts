import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { createAuthenticator, type Authenticator } from '../../src/auth/authn/index.js';
import { DEFAULT_ISSUER, issueBoundToken, issueLegacyToken, keyId } from '../../src/auth/serviceaccount/token.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import type { ClusterPki } from '../../src/pki/index.js';
import type { KubeObject } from '../../src/api/types.js';
import { StatusError } from '../../src/api/errors.js';
import { fakeRegistry } from './fake-registry.js';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const otherKeys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const pki = { saSigningKeyPem: keys.privateKey, saPublicKeyPem: keys.publicKey } as ClusterPki;
const registry = fakeRegistry();
const sas = registry.fake(resourceFor('', 'v1', 'serviceaccounts')!);
const pods = registry.fake(resourceFor('', 'v1', 'pods')!);
const secrets = registry.fake(resourceFor('', 'v1', 'secrets')!);
let authn: Authenticator;
let sa: KubeObject;
let pod: KubeObject;

function req(token: string): IncomingMessage {
  return { headers: { authorization: `Bearer ${token}` }, socket: {}, rawHeaders: [], url: '/' } as unknown as IncomingMessage;
}

async function rejects401(token: string): Promise<void> {
  await assert.rejects(authn.authenticate(req(token)), (e: unknown) => e instanceof StatusError && e.code === 401 && e.message === 'Unauthorized');
}

async function bound(extra: Partial<Parameters<typeof issueBoundToken>[1]> = {}): Promise<string> {
  const t = await issueBoundToken(keys.privateKey, {
    namespace: 'team',
    serviceAccount: { name: sa.metadata.name!, uid: sa.metadata.uid! },
    audiences: [DEFAULT_ISSUER],
    expirationSeconds: 3600,
    issuer: DEFAULT_ISSUER,
    ...extra,
  });
  return t.token;
}

before(async () => {
  authn = createAuthenticator({ pki, registry, anonymous: false, apiAudiences: [] });
  sa = await sas.create('team', { metadata: { name: 'builder' } });
  pod = await pods.create('team', { metadata: { name: 'web-1' }, spec: { nodeName: 'n1' } });
});

test('a bound token authenticates as its service account with the pod in extra', async () => {
  const token = await bound({ boundObject: { kind: 'Pod', name: 'web-1', uid: pod.metadata.uid! } });
  const u = await authn.authenticate(req(token));
  assert.equal(u?.username, 'system:serviceaccount:team:builder');
  assert.equal(u?.uid, sa.metadata.uid);
  assert.deepEqual(u?.groups, ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated']);
  assert.deepEqual(u?.extra?.['authentication.kubernetes.io/pod-name'], ['web-1']);
  const claims = decodeJwt(token);
  assert.equal(claims.sub, 'system:serviceaccount:team:builder');
  assert.deepEqual(claims.aud, [DEFAULT_ISSUER]);
  assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 3600);
  assert.equal(decodeProtectedHeader(token).kid, keyId(keys.publicKey));
});

test('an expired bound token is refused', async () => {
  await rejects401(await bound({ now: new Date(Date.now() - 2 * 3600_000) }));
});

test('a token signed with another key is refused', async () => {
  const forged = await issueBoundToken(otherKeys.privateKey, { namespace: 'team', serviceAccount: { name: 'builder', uid: sa.metadata.uid! }, audiences: [DEFAULT_ISSUER], expirationSeconds: 600, issuer: DEFAULT_ISSUER });
  await rejects401(forged.token);
});

test('an unsigned token (alg none) is refused', async () => {
  const signed = await bound();
  const [, payload] = signed.split('.');
  const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  await rejects401(`${header}.${payload}.`);
  // Same claims, HMAC-signed with the public key as secret: the classic key-confusion forgery.
  const hs = await new SignJWT(decodeJwt(signed) as Record<string, unknown>).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(keys.publicKey));
  await rejects401(hs);
});

test('a token for another audience is refused', async () => {
  await rejects401(await bound({ audiences: ['vault'] }));
});

test('a token from an unknown issuer is not ours: 401 as an invalid bearer token', async () => {
  await rejects401(await bound({ issuer: 'https://elsewhere.example' }));
});

test('deleting or recreating the bound objects revokes the token', async () => {
  const podToken = await bound({ boundObject: { kind: 'Pod', name: 'web-1', uid: pod.metadata.uid! } });
  const other = await pods.create('team', { metadata: { name: 'web-2' }, spec: {} });
  const web2Token = await bound({ boundObject: { kind: 'Pod', name: 'web-2', uid: other.metadata.uid! } });
  await pods.delete('team', 'web-2');
  await rejects401(web2Token);
  await pods.create('team', { metadata: { name: 'web-2' }, spec: {} });
  await rejects401(web2Token);
  assert.ok(await authn.authenticate(req(podToken)));

  const sec = await secrets.create('team', { metadata: { name: 'bound-secret' }, type: 'Opaque' });
  const secretToken = await bound({ boundObject: { kind: 'Secret', name: 'bound-secret', uid: sec.metadata.uid! } });
  assert.ok(await authn.authenticate(req(secretToken)));
  await secrets.delete('team', 'bound-secret');
  await rejects401(secretToken);

  const saToken = await bound();
  assert.ok(await authn.authenticate(req(saToken)));
  await sas.delete('team', 'builder');
  await rejects401(saToken);
  await rejects401(podToken);
  sa = await sas.create('team', { metadata: { name: 'builder' } });
  await rejects401(saToken);
  assert.ok(await authn.authenticate(req(await bound())));
});

test('legacy secret-based tokens work while their Secret holds them', async () => {
  const robot = await sas.create('team', { metadata: { name: 'robot' } });
  const token = await issueLegacyToken(keys.privateKey, { namespace: 'team', serviceAccount: { name: 'robot', uid: robot.metadata.uid! }, secretName: 'robot-token' });
  await secrets.create('team', { metadata: { name: 'robot-token' }, type: 'kubernetes.io/service-account-token', data: { token: Buffer.from(token).toString('base64') } });
  const u = await authn.authenticate(req(token));
  assert.equal(u?.username, 'system:serviceaccount:team:robot');
  await secrets.delete('team', 'robot-token');
  await rejects401(token);
});

test('TokenReview path: authenticateToken answers null for a bad token', async () => {
  assert.equal(await authn.authenticateToken('garbage'), null);
  assert.equal((await authn.authenticateToken(await bound()))?.username, 'system:serviceaccount:team:builder');
});
