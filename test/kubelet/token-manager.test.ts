import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceAccountTokenManager } from '../../src/kubelet/volumes/token-manager.js';
import { VolumeManager } from '../../src/kubelet/volumes/manager.js';
import type { VolumeHost } from '../../src/kubelet/volumes/plugin.js';
import type { RestClient } from '../../src/client/rest.js';
import type { Pod } from '../../src/kubelet/api-types.js';
import { logger } from '../../src/util/log.js';

interface Sent {
  path: string;
  body: { spec: { audiences: string[]; expirationSeconds: number; boundObjectRef: { name: string; uid: string } } };
}

/** A TokenRequest endpoint on a clock the test moves; each token names its issue number. */
function fakeApi(clock: { now: number }, opts: { fail?: () => Error | undefined; grantSeconds?: (asked: number) => number } = {}) {
  const sent: Sent[] = [];
  const client = {
    async request(method: string, path: string, body: Sent['body']) {
      assert.equal(method, 'POST');
      const err = opts.fail?.();
      if (err) throw err;
      sent.push({ path, body });
      const seconds = opts.grantSeconds ? opts.grantSeconds(body.spec.expirationSeconds) : body.spec.expirationSeconds;
      return { spec: { ...body.spec, expirationSeconds: seconds }, status: { token: `token-${sent.length}`, expirationTimestamp: new Date(clock.now + seconds * 1000).toISOString() } };
    },
  };
  return { client: client as unknown as RestClient, sent };
}

const pod = (name: string, uid: string, sa?: string): Pod => ({ metadata: { name, namespace: 'ns1', uid }, spec: { serviceAccountName: sa, containers: [] } }) as unknown as Pod;

test('token manager: one TokenRequest per token until 80 % of its lifetime has passed', async () => {
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  const api = fakeApi(clock);
  const m = new ServiceAccountTokenManager(api.client, () => clock.now, () => 0);
  const p = pod('web-0', 'u1', 'builder');
  assert.equal(await m.get(p, undefined, 3600), 'token-1');
  assert.equal(api.sent[0]!.path, '/api/v1/namespaces/ns1/serviceaccounts/builder/token');
  assert.deepEqual(api.sent[0]!.body.spec.boundObjectRef, { apiVersion: 'v1', kind: 'Pod', name: 'web-0', uid: 'u1' });
  clock.now += 2879_000; // just short of 80 % of an hour
  assert.equal(await m.get(p, undefined, 3600), 'token-1');
  assert.equal(api.sent.length, 1);
  clock.now += 2_000;
  assert.equal(await m.get(p, undefined, 3600), 'token-2', 'past 80 % of its lifetime the token is renewed');
  assert.equal(api.sent.length, 2);
  // The renewed token counts from its own issue time.
  clock.now += 2000_000;
  assert.equal(await m.get(p, undefined, 3600), 'token-2');
  assert.equal(api.sent.length, 2);
});

test('token manager: audience, lifetime, service account and pod each have their own token', async () => {
  const clock = { now: 1_000_000 };
  const api = fakeApi(clock);
  const m = new ServiceAccountTokenManager(api.client, () => clock.now, () => 0);
  const a = pod('a', 'ua');
  assert.equal(await m.get(a, undefined, undefined), 'token-1');
  assert.equal(api.sent[0]!.body.spec.expirationSeconds, 3607, "no expirationSeconds in the volume: the API's default");
  assert.equal(api.sent[0]!.path, '/api/v1/namespaces/ns1/serviceaccounts/default/token');
  assert.equal(await m.get(a, 'vault', undefined), 'token-2');
  assert.deepEqual(api.sent[1]!.body.spec.audiences, ['vault']);
  assert.equal(await m.get(a, undefined, 7200), 'token-3');
  assert.equal(await m.get(pod('a', 'ua', 'other'), undefined, undefined), 'token-4');
  assert.equal(await m.get(pod('b', 'ub'), undefined, undefined), 'token-5');
  // All served from the cache now.
  for (const [p, aud, s] of [[a, undefined, undefined], [a, 'vault', undefined], [a, undefined, 7200]] as const) await m.get(p, aud, s);
  assert.equal(api.sent.length, 5);
  assert.equal(m.size, 5);
});

test('token manager: a day-old token is replaced even when its lifetime is longer', async () => {
  const clock = { now: 5_000_000 };
  const api = fakeApi(clock);
  const m = new ServiceAccountTokenManager(api.client, () => clock.now, () => 0);
  const p = pod('a', 'ua');
  await m.get(p, undefined, 7 * 24 * 3600);
  clock.now += 24 * 3600_000 - 1000;
  assert.equal(await m.get(p, undefined, 7 * 24 * 3600), 'token-1');
  clock.now += 2000;
  assert.equal(await m.get(p, undefined, 7 * 24 * 3600), 'token-2');
});

test('token manager: the lifetime the API server granted sets the refresh, not the one asked for', async () => {
  const clock = { now: 5_000_000 };
  const api = fakeApi(clock, { grantSeconds: () => 600 });
  const m = new ServiceAccountTokenManager(api.client, () => clock.now, () => 0);
  const p = pod('a', 'ua');
  await m.get(p, undefined, 3600);
  clock.now += 481_000; // past 80 % of the 600 s granted
  assert.equal(await m.get(p, undefined, 3600), 'token-2');
});

test('token manager: a failed renewal serves the token while it is valid; no token at all is an error', async () => {
  const clock = { now: 5_000_000 };
  let failure: Error | undefined;
  const api = fakeApi(clock, { fail: () => failure });
  const m = new ServiceAccountTokenManager(api.client, () => clock.now, () => 0);
  const p = pod('a', 'ua');
  await m.get(p, undefined, 3600);
  failure = Object.assign(new Error('connection refused'), { code: undefined });
  clock.now += 3000_000;
  assert.equal(await m.get(p, undefined, 3600), 'token-1', 'renewal failed: the still-valid token is kept');
  clock.now += 700_000;
  await assert.rejects(m.get(p, undefined, 3600), /connection refused/, 'expired and not renewed');
  await assert.rejects(m.get(pod('b', 'ub'), undefined, 3600), /connection refused/);
  failure = Object.assign(new Error('the server could not find the requested resource'), { code: 404 });
  assert.equal(await m.get(pod('c', 'uc'), undefined, 3600), undefined, 'no TokenRequest API: no token');
});

test('token manager: a refresh is jittered by whole seconds up to 10 s, as upstream', async () => {
  const clock = { now: 5_000_000 };
  const api = fakeApi(clock);
  const m = new ServiceAccountTokenManager(api.client, () => clock.now, () => 0.95);
  const p = pod('a', 'ua');
  await m.get(p, undefined, 3600);
  clock.now += 2880_000 - 9_000 + 1; // 9 s before 80 %: inside a jitter of 9 s
  assert.equal(await m.get(p, undefined, 3600), 'token-2');
});

test('volume manager: a projected token is requested once across volume refreshes and forgotten with the pod', async () => {
  const root = await mkdtemp(join(tmpdir(), 'k8ts-tokens-'));
  try {
    const clock = { now: Date.now() };
    const api = fakeApi(clock);
    const tokens = new ServiceAccountTokenManager(api.client, () => clock.now, () => 0);
    const host: VolumeHost = {
      client: api.client,
      tokens,
      objects: { get: async () => undefined, releasePod: () => undefined },
      nodeName: 'n1',
      nodeIPs: ['192.168.0.1'],
      recorder: { event: () => undefined } as unknown as VolumeHost['recorder'],
      log: logger('kubelet-test'),
      lightweight: true,
      allocatable: { cpu: '2', memory: '4Gi' },
    };
    // A refresh period of 0: every set-up refreshes the projected volume, as every sync period does.
    const vm = new VolumeManager(host, root, undefined, 0);
    const p = pod('web-0', 'u1');
    p.spec.volumes = [{ name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] } }];
    for (let i = 0; i < 5; i++) {
      const r = await vm.setUpPod(p);
      assert.ok(r.ok);
      assert.equal(await readFile(join(r.paths.get('kube-api-access')!, 'token'), 'utf8'), 'token-1');
    }
    assert.equal(api.sent.length, 1);
    await vm.tearDownPod('u1', p);
    assert.equal(tokens.size, 0);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
