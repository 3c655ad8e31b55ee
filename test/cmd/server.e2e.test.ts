import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { kubectlOk } from '../helpers/kubectl.js';
import { REPO, startK8ts } from '../helpers/k8ts-process.js';
import { until } from '../helpers/wait.js';

// `k8ts server` as a person runs it: one command, a kubeconfig the real
// kubectl uses as is, one line when ready, data kept across restarts.

const start = (dataDir: string) => startK8ts(['server', '--data-dir', dataDir, '--port', '0', '--disable-agent']);

test('k8ts server starts, prints progress and readiness, writes a working kubeconfig, keeps data', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-server-'));
  // A failed assertion must not leave the server running (the test file would wait on it until its timeout).
  let cleanup: (() => Promise<unknown>) | undefined;
  try {
    const first = await start(dir);
    cleanup = () => first.stop();
    const out = first.output();
    assert.match(out, /opening SQLite store/);
    assert.match(out, /API server listening on https:\/\/127\.0\.0\.1:\d+/);
    assert.match(out, /loading the cluster CA/);
    assert.match(out, /k8ts server is ready \(Kubernetes v1\.32\.\d+\+k8ts\): KUBECONFIG=.*kubeconfig\.yaml kubectl get ns/);
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    assert.equal((await stat(kubeconfig)).mode & 0o077, 0, 'kubeconfig is private to its owner');
    assert.equal((parseYaml(await readFile(kubeconfig, 'utf8')) as { 'current-context'?: string })['current-context'], 'k8ts');
    assert.match(await kubectlOk(kubeconfig, ['get', 'ns']), /kube-node-lease\s+Active/);
    await kubectlOk(kubeconfig, ['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept' }, data: { a: '1' } }) });
    // The embedded controllers act, each as its own service account (their clients' token over the in-process connections).
    await kubectlOk(kubeconfig, ['create', 'deployment', 'web', '--image', 'busybox', '--replicas', '2']);
    await until('the Deployment\'s ReplicaSet to create 2 pods', async () => {
      const names = (await kubectlOk(kubeconfig, ['get', 'pods', '-l', 'app=web', '-o', 'name'])).trim().split('\n').filter(Boolean);
      return names.length === 2 ? names : undefined;
    });
    assert.equal(await first.stop(), 0);

    const second = await start(dir);
    cleanup = () => second.stop();
    assert.match(await kubectlOk(kubeconfig, ['get', 'configmap', 'kept', '-o', 'jsonpath={.data.a}']), /^1$/);
    assert.equal(await second.stop(), 0);
  } finally {
    await cleanup?.().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});

test('k8ts server rejects bad flags with a clear message', async () => {
  const child = spawn(process.execPath, ['bin/k8ts.js', 'server', '--storage', 'mongodb'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const code = await new Promise((r) => child.once('exit', r));
  assert.equal(code, 1);
  assert.match(err, /--storage must be sqlite or etcd, not mongodb/);
});
