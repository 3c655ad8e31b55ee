// Each Docker pod's /etc/resolv.conf follows its dnsPolicy: read back from
// inside the running containers.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { RestClient } from '../../src/client/rest.js';
import { startKubelet, type RunningKubelet } from '../../src/kubelet/kubelet.js';
import { DockerRuntime } from '../../src/runtime/docker/runtime.js';
import { dockerSkip, ensureBusyboxImage, releaseBusyboxImage } from '../helpers/images.js';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { eventually, FAST, PODS } from './harness.js';
import { removeNodeFromDocker } from '../helpers/docker-node.js';

const run = promisify(execFile);
const skip = await dockerSkip();

describe('pod resolv.conf on docker', { skip }, () => {
  let server: TestServer;
  let client: RestClient;
  let runtime: DockerRuntime;
  let kubelet: RunningKubelet;
  let rootDir: string;
  let busybox: string;
  const nodeName = `k8ts-dns-${randomBytes(3).toString('hex')}`;
  const pauseImage = `k8ts-test/pause:dns-${process.pid}`;

  const mkPod = (name: string, spec: Record<string, unknown>): any => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: busybox, imagePullPolicy: 'Never', command: ['sleep', '3600'] }], ...spec },
  });

  /** /etc/resolv.conf as the pod's container sees it. */
  const resolvOf = async (name: string): Promise<string> => {
    const p = await eventually(async () => {
      const pod = await client.get<any>(PODS, 'default', name);
      return pod.status?.containerStatuses?.[0]?.ready ? pod : undefined;
    });
    const id = p.status.containerStatuses[0].containerID.replace(/^docker:\/\//, '');
    const { stdout } = await run('/usr/bin/docker', ['exec', id, 'cat', '/etc/resolv.conf']);
    return stdout;
  };

  before(async () => {
    busybox = await ensureBusyboxImage();
    server = await startTestServer();
    client = RestClient.fromKubeconfig(server.kubeconfig, { component: 'kubelet-dns-e2e' });
    runtime = new DockerRuntime({ nodeName, pauseImage });
    rootDir = await mkdtemp(join(tmpdir(), 'k8ts-kubelet-dns-'));
    // A host resolv.conf of our own, so the test does not depend on the machine's.
    const hostResolv = join(rootDir, 'host-resolv.conf');
    await writeFile(hostResolv, 'nameserver 192.0.2.53\nsearch corp.example\noptions timeout:2\n');
    kubelet = await startKubelet({ ...FAST, client, runtime, nodeName, rootDir, clusterDNS: ['10.0.0.10'], clusterDomain: 'cluster.local', resolvConf: hostResolv });
  });

  after(async () => {
    await kubelet?.stop();
    if (runtime) await removeNodeFromDocker(runtime, nodeName, pauseImage);
    await runtime?.close();
    client?.close();
    await server?.close();
    if (rootDir) await rm(rootDir, { recursive: true, force: true });
    await releaseBusyboxImage();
  });

  test('ClusterFirst, Default and None with dnsConfig', async () => {
    await client.create(PODS, 'default', mkPod('cf', {}));
    await client.create(PODS, 'default', mkPod('def', { dnsPolicy: 'Default' }));
    await client.create(PODS, 'default', mkPod('none', { dnsPolicy: 'None', dnsConfig: { nameservers: ['198.51.100.1'], searches: ['my.example'], options: [{ name: 'ndots', value: '2' }] } }));
    assert.equal(await resolvOf('cf'), 'nameserver 10.0.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local corp.example\noptions ndots:5\n');
    assert.equal(await resolvOf('def'), 'nameserver 192.0.2.53\nsearch corp.example\noptions timeout:2\n');
    assert.equal(await resolvOf('none'), 'nameserver 198.51.100.1\nsearch my.example\noptions ndots:2\n');
  });
});
