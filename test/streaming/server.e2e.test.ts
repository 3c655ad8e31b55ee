import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dockerSkip, ensureBusyboxImage, releaseBusyboxImage } from '../helpers/images.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { REPO, startK8ts } from '../helpers/k8ts-process.js';
import { eventually } from '../kubelet/harness.js';

// `k8ts server` as shipped: its own kubelet serves HTTPS with a certificate
// from the cluster CA, and a second node joined with `k8ts kubelet` (its
// self-signed serving pair, the kubeconfig's CA for clients) serves too;
// kubectl exec and logs reach pods on both through the API server.

const run = promisify(execFile);
const skip = await dockerSkip();

test('kubectl exec and logs reach pods on the server\'s node and on a joined node', { skip }, async () => {
  const image = await ensureBusyboxImage();
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-stream-server-'));
  const suffix = randomBytes(3).toString('hex');
  const local = `k8ts-srv-${suffix}`;
  const joined = `k8ts-join-${suffix}`;
  const server = await startK8ts(['server', '--data-dir', dir, '--port', '0', '--runtime', 'docker', '--kubelet-port', '0', '--node-name', local, '--disable-kube-proxy']);
  const kc = join(dir, 'kubeconfig.yaml');
  const kubelet = spawn(process.execPath, ['bin/k8ts.js', 'kubelet', '--kubeconfig', kc, '--node-name', joined, '--runtime', 'docker', '--root-dir', join(dir, 'joined'), '--port', '0'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, K8TS_LOG_LEVEL: 'warn' } });
  let kubeletOut = '';
  kubelet.stdout.on('data', (d) => (kubeletOut += d));
  kubelet.stderr.on('data', (d) => (kubeletOut += d));
  try {
    assert.match(server.output(), /server on port \d+/);
    await eventually(async () => /kubelet is running/.test(kubeletOut), 'joined kubelet running');
    for (const node of [local, joined]) {
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `on-${node}` }, spec: { nodeName: node, terminationGracePeriodSeconds: 1, automountServiceAccountToken: false, containers: [{ name: 'c', image, imagePullPolicy: 'Never', command: ['sh', '-c', `echo started-on-${node}; sleep 3600`] }] } };
      await eventually(async () => (await kubectl(kc, ['create', '-f', '-'], { input: JSON.stringify(pod) })).code === 0, 'pod created (the default ServiceAccount exists)');
    }
    for (const node of [local, joined]) {
      await eventually(async () => (await kubectlOk(kc, ['get', 'pod', `on-${node}`, '-o', 'jsonpath={.status.phase}'])) === 'Running', `pod on ${node} running`);
      assert.equal(await kubectlOk(kc, ['exec', `on-${node}`, '--', 'sh', '-c', 'echo exec-on-$(hostname)']), `exec-on-on-${node}\n`);
      assert.equal(await kubectlOk(kc, ['logs', `on-${node}`]), `started-on-${node}\n`);
    }
  } finally {
    await kubectl(kc, ['delete', 'pod', '--all', '--wait=false']).catch(() => undefined);
    kubelet.kill('SIGTERM');
    await new Promise((r) => (kubelet.exitCode !== null ? r(null) : kubelet.once('exit', r)));
    await server.stop();
    // Containers outlive a stopped kubelet (they are adopted on restart): remove this test's own.
    for (const node of [local, joined]) {
      const ids = (await run('/usr/bin/docker', ['ps', '-aq', '--filter', `label=io.k8ts.node.name=${node}`])).stdout.trim().split('\n').filter(Boolean);
      if (ids.length) await run('/usr/bin/docker', ['rm', '-f', ...ids]);
    }
    await rm(dir, { recursive: true, force: true });
    await releaseBusyboxImage();
  }
});
