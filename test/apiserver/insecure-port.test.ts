// --insecure-port: plain HTTP on loopback that skips authentication and
// authorization but, as upstream's insecure port did, still runs admission.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startTestServer } from '../helpers/apiserver.js';
import { freePort } from '../helpers/ports.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { writeKubeconfig } from '../../src/apiserver/kubeconfig.js';

test('the insecure port of a secure server needs no credentials and still runs admission (kubectl)', async (t) => {
  const port = await freePort();
  const srv = await startTestServer({ secure: true, api: { insecurePort: port } });
  t.after(() => srv.close());
  const plain = join(srv.dir, 'insecure.yaml');
  await writeKubeconfig(plain, { server: `http://127.0.0.1:${port}` });

  await kubectlOk(plain, ['create', 'namespace', 'ip']);
  const pod = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ip' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  // ServiceAccount admission: the namespace has no default account yet (no controller manager here).
  const refused = await kubectl(plain, ['create', '-f', '-'], { input: pod });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /error looking up service account ip\/default: serviceaccount "default" not found/);

  await kubectlOk(plain, ['create', 'serviceaccount', 'default', '-n', 'ip']);
  await kubectlOk(plain, ['create', '-f', '-'], { input: pod });
  const created = JSON.parse(await kubectlOk(plain, ['get', 'pod', 'p', '-n', 'ip', '-o', 'json'])) as { spec: { serviceAccountName?: string; volumes?: { name: string }[]; tolerations?: { key?: string; tolerationSeconds?: number }[] } };
  assert.equal(created.spec.serviceAccountName, 'default');
  assert.ok(created.spec.volumes?.some((v) => v.name.startsWith('kube-api-access-')), 'the service account token volume was added');
  assert.ok(created.spec.tolerations?.some((x) => x.key === 'node.kubernetes.io/not-ready' && x.tolerationSeconds === 300), 'DefaultTolerationSeconds ran');
  // The same server's secure port still wants credentials.
  const noCreds = join(srv.dir, 'nocreds.yaml');
  await writeKubeconfig(noCreds, { server: srv.url, caData: Buffer.from(srv.pki!.caCertPem).toString('base64') });
  const anon = await kubectl(noCreds, ['get', 'pods', '-n', 'ip']);
  assert.notEqual(anon.code, 0);
});
