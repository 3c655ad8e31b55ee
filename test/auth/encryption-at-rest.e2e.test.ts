import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { kubectlOk } from '../helpers/kubectl.js';

// --encryption-provider-config: Secrets are sealed in the database (read raw
// here), everything else stays readable, and kubectl sees plaintext.

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function start(dir: string, config: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/k8ts.js', 'apiserver', '--data-dir', dir, '--port', '0', '--encryption-provider-config', config], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, K8TS_LOG_LEVEL: 'warn' },
  });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (/is ready/.test(out)) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`k8ts apiserver exited ${code}: ${out}`)));
  });
}

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
  const server = await start(dir, config);
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
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
});
