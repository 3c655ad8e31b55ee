import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resolver } from 'node:dns/promises';
import { promisify } from 'node:util';
import { dockerSkip, ensureBusyboxImage, releaseBusyboxImage } from '../helpers/images.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startK8ts } from '../helpers/k8ts-process.js';
import { eventually } from '../kubelet/harness.js';

// Issue #15: a StatefulSet's ordinals have stable DNS names through their
// governing headless Service. `k8ts server` as shipped (Docker node, cluster
// DNS, controllers, endpoint slices) resolves web-N.web-svc.default.svc.cluster.local
// to pod N's IP, for a client on the host and for another pod; the pod's own
// hostname and /etc/hosts carry the same name. Each ordinal has its claim
// (volumeClaimTemplates on the default local-path class) and keeps it, with
// its data, when the pod is deleted and recreated.

const run = promisify(execFile);
const skip = await dockerSkip();

test('StatefulSet ordinals resolve through the cluster DNS to their pods, from the host and from another pod', { skip, timeout: 600_000 }, async () => {
  const image = await ensureBusyboxImage();
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-sts-dns-'));
  const node = `k8ts-stsdns-${randomBytes(3).toString('hex')}`;
  const server = await startK8ts(['server', '--data-dir', dir, '--port', '0', '--runtime', 'docker', '--kubelet-port', '0', '--node-name', node, '--disable-kube-proxy', '--dns-address', '127.0.0.1', '--dns-port', '0']);
  const kc = join(dir, 'kubeconfig.yaml');
  try {
    const port = Number(/cluster DNS for cluster\.local listening on 127\.0\.0\.1:(\d+)/.exec(server.output())?.[1]);
    assert.ok(port > 0, server.output());
    const podSpec = { terminationGracePeriodSeconds: 1, automountServiceAccountToken: false, containers: [{ name: 'c', image, imagePullPolicy: 'Never', command: ['sleep', '3600'] }] };
    const manifests = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-svc' }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } },
        {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: 'web' },
          spec: {
            serviceName: 'web-svc',
            replicas: 3,
            podManagementPolicy: 'Parallel',
            selector: { matchLabels: { app: 'web' } },
            // Claims from the default local-path class: the binder, protection controllers and provisioner of `k8ts server` at work.
            template: { metadata: { labels: { app: 'web' } }, spec: { ...podSpec, containers: [{ ...podSpec.containers[0], command: ['sh', '-c', 'hostname > /data/id && sleep 3600'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }] } },
            volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } } }],
          },
        },
      ],
    };
    // The default ServiceAccount comes from the controller manager a moment after start.
    await eventually(async () => (await kubectl(kc, ['apply', '-f', '-'], { input: JSON.stringify(manifests) })).code === 0, 'service and statefulset applied');
    await eventually(async () => (await kubectlOk(kc, ['get', 'statefulset', 'web', '-o', 'jsonpath={.status.readyReplicas}'])) === '3', 'three ordinals ready');
    const ips = new Map<string, string>();
    for (const i of [0, 1, 2]) {
      const ip = await kubectlOk(kc, ['get', 'pod', `web-${i}`, '-o', 'jsonpath={.status.podIP}']);
      assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
      ips.set(`web-${i}`, ip);
    }
    assert.equal(new Set(ips.values()).size, 3);

    const r = new Resolver({ timeout: 2000, tries: 2 });
    r.setServers([`127.0.0.1:${port}`]);
    const resolve = async (name: string): Promise<string[]> => {
      try {
        return (await r.resolve4(name)).sort();
      } catch {
        return [];
      }
    };
    // Each ordinal by name (the endpoint slices follow readiness, so wait for them), and the headless Service to all three.
    for (const [name, ip] of ips) {
      await eventually(async () => (await resolve(`${name}.web-svc.default.svc.cluster.local`)).join() === ip, `${name} resolves to ${ip}`);
    }
    assert.deepEqual(await resolve('web-svc.default.svc.cluster.local'), [...ips.values()].sort());

    // From another pod (host network, so it reaches the DNS on loopback): busybox nslookup against the cluster DNS.
    const client = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'dns-client' },
      spec: { ...podSpec, hostNetwork: true, restartPolicy: 'Never', containers: [{ ...podSpec.containers[0], command: ['nslookup', 'web-1.web-svc.default.svc.cluster.local', `127.0.0.1:${port}`] }] },
    };
    await kubectlOk(kc, ['create', '-f', '-'], { input: JSON.stringify(client) });
    await eventually(async () => (await kubectlOk(kc, ['get', 'pod', 'dns-client', '-o', 'jsonpath={.status.phase}'])) === 'Succeeded', 'nslookup pod finished');
    const answer = await kubectlOk(kc, ['logs', 'dns-client']);
    assert.match(answer, /Name:\s+web-1\.web-svc\.default\.svc\.cluster\.local/);
    assert.match(answer, new RegExp(`Address:\\s+${ips.get('web-1')!.replace(/\./g, '\\.')}\\b`));

    // Each ordinal wrote its name on its own claim.
    for (const i of [0, 1, 2]) {
      assert.equal(await kubectlOk(kc, ['exec', `web-${i}`, '--', 'cat', '/data/id']), `web-${i}\n`);
      assert.equal(await kubectlOk(kc, ['get', 'pvc', `data-web-${i}`, '-o', 'jsonpath={.status.phase}']), 'Bound');
    }

    // A deleted ordinal comes back under its name, on its claim, with its data; the name resolves to its new address.
    const claimUid = await kubectlOk(kc, ['get', 'pvc', 'data-web-1', '-o', 'jsonpath={.metadata.uid}']);
    const oldUid = await kubectlOk(kc, ['get', 'pod', 'web-1', '-o', 'jsonpath={.metadata.uid}']);
    await kubectlOk(kc, ['exec', 'web-1', '--', 'sh', '-c', 'echo kept > /data/mark']);
    await kubectlOk(kc, ['delete', 'pod', 'web-1']);
    const again = await eventually(async () => {
      const r = await kubectl(kc, ['get', 'pod', 'web-1', '-o', 'jsonpath={.metadata.uid} {.status.podIP} {.status.containerStatuses[0].ready}']);
      const [uid, ip, ready] = r.stdout.split(' ');
      return r.code === 0 && uid !== oldUid && ready === 'true' ? ip : undefined;
    }, 'web-1 recreated and ready');
    assert.equal(await kubectlOk(kc, ['get', 'pod', 'web-1', '-o', 'jsonpath={.spec.volumes[?(@.name=="data")].persistentVolumeClaim.claimName}']), 'data-web-1');
    assert.equal(await kubectlOk(kc, ['get', 'pvc', 'data-web-1', '-o', 'jsonpath={.metadata.uid}']), claimUid);
    assert.equal(await kubectlOk(kc, ['exec', 'web-1', '--', 'cat', '/data/mark']), 'kept\n');
    await eventually(async () => (await resolve('web-1.web-svc.default.svc.cluster.local')).join() === again, 'web-1 resolves to its new address');
    ips.set('web-1', again!);

    // The pod knows itself by the same name: hostname, and the FQDN in /etc/hosts as upstream's kubelet writes it.
    assert.equal(await kubectlOk(kc, ['exec', 'web-2', '--', 'hostname']), 'web-2\n');
    const hosts = await kubectlOk(kc, ['exec', 'web-2', '--', 'cat', '/etc/hosts']);
    assert.match(hosts, new RegExp(`^${ips.get('web-2')!.replace(/\./g, '\\.')}\\s+web-2\\.web-svc\\.default\\.svc\\.cluster\\.local\\s+web-2$`, 'm'));
  } finally {
    // Pods go first so the kubelet unmounts and the provisioner removes the claims' directories before the server stops.
    await kubectl(kc, ['delete', 'statefulset,pod', '--all', '--grace-period=0', '--force']).catch(() => undefined);
    await kubectl(kc, ['delete', 'pvc', '--all', '--timeout=60s']).catch(() => undefined);
    await server.stop();
    // Containers outlive a stopped kubelet (they are adopted on restart): remove this test's own.
    const ids = (await run('/usr/bin/docker', ['ps', '-aq', '--filter', `label=io.k8ts.node.name=${node}`])).stdout.trim().split('\n').filter(Boolean);
    if (ids.length) await run('/usr/bin/docker', ['rm', '-f', ...ids]);
    await rm(dir, { recursive: true, force: true });
    await releaseBusyboxImage();
  }
});
