// Issue #7: a rolling update of a Deployment behind a Service, with a client
// polling the Service's ClusterIP throughout, loses no request. The whole
// path is real: `k8ts server` on Docker with the iptables proxy, the
// deployment and replicaset controllers, readiness probes gating new pods
// into the EndpointSlice, and a preStop hook that keeps a terminating pod
// serving until the proxy has taken it out of rotation (upstream's advice
// for zero-downtime updates).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dockerSkip, ensureBusyboxImage, releaseBusyboxImage } from '../../helpers/images.js';
import { kubectl, kubectlOk } from '../../helpers/kubectl.js';
import { REPO, startK8ts, type K8tsProcess } from '../../helpers/k8ts-process.js';
import { until } from '../../helpers/wait.js';

const skip = (await dockerSkip()) || (process.getuid?.() !== 0 && !process.env.CI ? 'needs root (iptables proxy)' : false);

function get(ip: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // A connection per request: a kept-alive one would stay on its backend through the update.
    const req = http.get({ host: ip, port: 80, path: '/', agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}


describe('rolling update behind a Service', { skip }, () => {
  let dir: string;
  let server: K8tsProcess;
  let image: string;
  const node = `ru-${randomBytes(3).toString('hex')}`;
  let kubeconfig: string;

  before(async () => {
    image = await ensureBusyboxImage();
    dir = await mkdtemp(join(tmpdir(), 'k8ts-rolling-'));
    server = await startK8ts(['server', '--data-dir', dir, '--port', '0', '--runtime', 'docker', '--node-name', node, '--kubelet-port', '0', '--disable-dns']);
    kubeconfig = join(dir, 'kubeconfig.yaml');
  });

  after(async () => {
    await kubectl(kubeconfig, ['delete', 'deployment', 'web', '--wait=true']).catch(() => undefined);
    await server?.stop();
    execFileSync(process.execPath, ['bin/k8ts.js', 'proxy', '--cleanup'], { cwd: REPO, stdio: 'ignore' });
    const ids = execFileSync('/usr/bin/docker', ['ps', '-aq', '--filter', `label=io.k8ts.node.name=${node}`], { encoding: 'utf8' }).trim();
    if (ids) execFileSync('/usr/bin/docker', ['rm', '-f', ...ids.split('\n')], { stdio: 'ignore' });
    await releaseBusyboxImage();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('no failed request while every pod is replaced', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            terminationGracePeriodSeconds: 15,
            containers: [
              {
                name: 'httpd',
                image,
                imagePullPolicy: 'Never',
                env: [{ name: 'VERSION', value: 'v1' }],
                command: ['sh', '-c', 'mkdir -p /www && echo "$VERSION" > /www/index.html && exec httpd -f -p 8080 -h /www'],
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
                lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
              },
            ],
          },
        },
      },
    };
    await kubectlOk(kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify(deployment) });
    await kubectlOk(kubeconfig, ['expose', 'deployment', 'web', '--port=80', '--target-port=http']);
    await kubectlOk(kubeconfig, ['rollout', 'status', 'deployment/web', '--timeout=120s']);
    const ip = (await kubectlOk(kubeconfig, ['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    await until('the Service to answer', async () => ((await get(ip)) === 'v1' ? true : undefined));

    let polling = true;
    const seen = new Map<string, number>();
    const failures: string[] = [];
    const poller = (async () => {
      while (polling) {
        try {
          const v = await get(ip);
          seen.set(v, (seen.get(v) ?? 0) + 1);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    })();
    await kubectlOk(kubeconfig, ['set', 'env', 'deployment/web', 'VERSION=v2']);
    await kubectlOk(kubeconfig, ['rollout', 'status', 'deployment/web', '--timeout=180s']);
    // The last old pod is still in its preStop when the rollout reports done: keep polling past it.
    await until('only v2 answering', async () => ((await get(ip)) === 'v2' ? true : undefined));
    await new Promise((r) => setTimeout(r, 3000));
    polling = false;
    await poller;
    const total = [...seen.values()].reduce((a, b) => a + b, 0);
    console.log(`# rolling update: ${total} requests (${[...seen].map(([v, n]) => `${v}: ${n}`).join(', ')}), ${failures.length} failed`);
    assert.deepEqual(failures, [], 'no request failed');
    assert.ok((seen.get('v1') ?? 0) > 0 && (seen.get('v2') ?? 0) > 0, 'both versions answered during the update');
    assert.ok(total > 50, `enough requests to mean something (${total})`);
  });
});
