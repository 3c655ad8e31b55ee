// `k8ts server` keeps default/kubernetes and kube-system/kube-dns, runs the
// cluster DNS, and finds both again after a restart over the same data.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resolver } from 'node:dns/promises';
import { kubectlOk } from '../helpers/kubectl.js';
import { startK8ts } from '../helpers/k8ts-process.js';

const start = (dataDir: string) => startK8ts(['server', '--data-dir', dataDir, '--port', '0', '--disable-agent', '--dns-address', '127.0.0.1', '--dns-port', '0']);

test('k8ts server: kubernetes and kube-dns Services, the cluster DNS answering, kept across a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-server-dns-'));
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  try {
    for (const round of [1, 2]) {
      const k = await start(dir);
      try {
        const m = /cluster DNS for cluster\.local listening on 127\.0\.0\.1:(\d+) \(UDP and TCP\), Service kube-system\/kube-dns 10\.0\.0\.10/.exec(k.output());
        assert.ok(m, k.output());
        const svcs = await kubectlOk(kubeconfig, ['get', 'svc', '-A']);
        assert.match(svcs, /default\s+kubernetes\s+ClusterIP\s+10\.0\.0\.1\s+<none>\s+443\/TCP/);
        assert.match(svcs, /kube-system\s+kube-dns\s+ClusterIP\s+10\.0\.0\.10\s+<none>\s+53\/UDP,53\/TCP/);
        const eps = await kubectlOk(kubeconfig, ['get', 'endpoints', 'kubernetes', '-o', 'jsonpath={.subsets[0].addresses[*].ip}:{.subsets[0].ports[0].port}']);
        assert.match(eps, /^\d+\.\d+\.\d+\.\d+:\d+$/, `round ${round}`);
        const r = new Resolver({ timeout: 2000, tries: 2 });
        r.setServers([`127.0.0.1:${m[1]}`]);
        assert.deepEqual(await r.resolve4('kubernetes.default.svc.cluster.local'), ['10.0.0.1']);
        assert.deepEqual(await r.resolve4('kube-dns.kube-system.svc.cluster.local'), ['10.0.0.10']);
      } finally {
        assert.equal(await k.stop(), 0);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
