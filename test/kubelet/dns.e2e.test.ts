// Each Docker pod's /etc/resolv.conf follows its dnsPolicy: read back from
// inside the running containers.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RestClient } from '../../src/client/rest.js';
import { writeFile } from 'node:fs/promises';
import { dockerSkip } from '../helpers/images.js';
import { eventually, PODS } from './harness.js';
import { startDockerNode, type DockerNode } from '../helpers/docker-node.js';

const run = promisify(execFile);
const skip = await dockerSkip();

describe('pod resolv.conf on docker', { skip }, () => {
  let node: DockerNode;
  let client: RestClient;

  const mkPod = (name: string, spec: Record<string, unknown>): any => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName: node.nodeName, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: node.busybox, imagePullPolicy: 'Never', command: ['sleep', '3600'] }], ...spec },
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
    node = await startDockerNode({
      name: 'dns',
      // A host resolv.conf of our own, so the test does not depend on the machine's.
      kubelet: async ({ rootDir }) => {
        const resolvConf = join(rootDir, 'host-resolv.conf');
        await writeFile(resolvConf, 'nameserver 192.0.2.53\nsearch corp.example\noptions timeout:2\n');
        return { clusterDNS: ['10.0.0.10'], clusterDomain: 'cluster.local', resolvConf };
      },
    });
    client = node.client;
  });

  after(async () => {
    await node?.stop();
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
