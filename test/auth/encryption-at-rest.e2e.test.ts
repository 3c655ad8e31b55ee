import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startK8ts } from '../helpers/k8ts-process.js';
import { kubectlOk } from '../helpers/kubectl.js';

// --encryption-provider-config: Secrets are sealed in the database (read raw
// here), everything else stays readable, and kubectl sees plaintext.

test('secrets are encrypted at rest with aesgcm; other resources are not', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-enc-'));
  const config = join(dir, 'encryption.yaml');
  await writeFile(
    config,
    `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers:
  - aesgcm:
      keys:
      - name: key1
        secret: ${randomBytes(32).toString('base64')}
  - identity: {}
`,
  );
  const server = await startK8ts(['apiserver', '--data-dir', dir, '--port', '0', '--encryption-provider-config', config]);
  try {
    const kc = join(dir, 'kubeconfig.yaml');
    await kubectlOk(kc, ['create', 'secret', 'generic', 'sealed', '--from-literal=password=hunter2-plain']);
    await kubectlOk(kc, ['create', 'configmap', 'open', '--from-literal=note=visible-plain']);
    assert.equal(await kubectlOk(kc, ['get', 'secret', 'sealed', '-o', 'jsonpath={.data.password}']), Buffer.from('hunter2-plain').toString('base64'));

    const db = new Database(join(dir, 'state.db'), { readonly: true, fileMustExist: true });
    try {
      const row = (name: string) => db.prepare('SELECT value FROM kine WHERE name = ? ORDER BY id DESC LIMIT 1').get(name) as { value: string };
      const secret = row('/registry/secrets/default/sealed').value;
      assert.match(secret, /^k8s:enc:aesgcm:v1:key1:/);
      assert.ok(!secret.includes('hunter2-plain') && !secret.includes(Buffer.from('hunter2-plain').toString('base64')), 'no plaintext in the stored secret');
      assert.match(row('/registry/configmaps/default/open').value, /visible-plain/);
    } finally {
      db.close();
    }
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
