// In-process connections (apiserver/in-process.ts): the components of
// `k8ts server` reach the API server over in-memory streams, through the same
// authentication and authorization as over TLS.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../helpers/apiserver.js';
import { RestClient } from '../../src/client/rest.js';
import { loadKubeconfig, type ClientConfig } from '../../src/client/kubeconfig.js';
import { issueClientCert } from '../../src/pki/index.js';
import { createCa } from '../../src/pki/x509.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import { StatusError } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/types.js';

const PODS = resourceFor('', 'v1', 'pods')!;
const NAMESPACES = resourceFor('', 'v1', 'namespaces')!;
const REVIEWS = resourceFor('authentication.k8s.io', 'v1', 'selfsubjectreviews')!;

async function statusOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    if (err instanceof StatusError) return err.code;
    throw err;
  }
}

type Review = KubeObject & { status: { userInfo: { username: string } } };
const review = (c: RestClient): Promise<Review> => c.create<Review>(REVIEWS, undefined, { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } as never);

test('an in-process client authenticates with its certificate and is authorized as that user; watches stream', async (t) => {
  const srv = await startTestServer({ secure: true });
  t.after(() => srv.close());
  const pki = srv.pki!;
  const cert = await issueClientCert(pki, { commonName: 'system:kube-scheduler', organizations: [] });
  const client = new RestClient({ server: srv.url, namespace: 'default', certData: Buffer.from(cert.certPem), keyData: Buffer.from(cert.keyPem), connect: srv.server.connectInProcess }, { component: 'test' });
  t.after(() => client.close());
  const admin = new RestClient(loadKubeconfig(srv.kubeconfig), { component: 'test-admin' });
  t.after(() => admin.close());

  const me = (await review(client)).status.userInfo as { username: string; groups?: string[] };
  assert.equal(me.username, 'system:kube-scheduler');
  assert.ok(me.groups?.includes('system:authenticated'));
  // system:kube-scheduler reads pods but may not create namespaces.
  assert.equal((await client.list(PODS, 'default')).items.length, 0);
  assert.equal(await statusOf(client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'nope' } })), 403);

  const seen: string[] = [];
  let resolveSeen: () => void;
  const gotIt = new Promise<void>((r) => (resolveSeen = r));
  const w = client.watch(PODS, 'default', {}, (ev) => {
    seen.push(`${ev.type} ${ev.object.metadata?.name}`);
    resolveSeen();
  });
  // No service account controller here: ServiceAccount admission wants the namespace's default account.
  await admin.create(resourceFor('', 'v1', 'serviceaccounts')!, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
  await admin.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } as KubeObject);
  await Promise.race([gotIt, new Promise((_, rej) => setTimeout(() => rej(new Error('no watch event within 20 s')), 20_000).unref())]);
  w.stop();
  await w.done;
  assert.deepEqual(seen, ['ADDED p']);
});

test('in-process: a bearer token alone authenticates; no credentials is unauthorized; a certificate from another CA is refused', async (t) => {
  const srv = await startTestServer({ secure: true });
  t.after(() => srv.close());
  const admin = new RestClient(loadKubeconfig(srv.kubeconfig), { component: 'test-admin' });
  t.after(() => admin.close());
  const inProcess = (extra: Partial<ClientConfig>): RestClient => {
    const c = new RestClient({ server: srv.url, namespace: 'default', connect: srv.server.connectInProcess, ...extra }, { component: 'test' });
    t.after(() => c.close());
    return c;
  };

  // As the controller manager's per-controller clients: a service account token, no certificate.
  const SA = resourceFor('', 'v1', 'serviceaccounts')!;
  await admin.create(SA, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot' } });
  const tr = await admin.createSubresource<{ status: { token: string } }>(SA, 'default', 'robot', 'token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } });
  assert.equal((await review(inProcess({ token: tr.status.token }))).status.userInfo.username, 'system:serviceaccount:default:robot');

  assert.equal(await statusOf(inProcess({}).list(PODS, 'default')), 401);

  const other = await createCa('another-ca', 1);
  const foreign = await issueClientCert({ ...srv.pki!, caCertPem: other.certPem, caKeyPem: other.keyPem }, { commonName: 'system:admin', organizations: ['system:masters'] });
  assert.equal(await statusOf(inProcess({ certData: Buffer.from(foreign.certPem), keyData: Buffer.from(foreign.keyPem) }).list(PODS, 'default')), 401);
});
