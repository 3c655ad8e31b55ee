// A pod on the real dockerd: pause sandbox plus two containers that share
// localhost and one IP, published hostPort, DNS and hostname, labels and
// adoption by a second runtime instance (a kubelet restart), stop and remove.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import {
  LABEL_CONTAINER_NAME,
  LABEL_NODE_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  LABEL_SANDBOX,
  type PodSandboxConfig,
} from '../../../src/runtime/interface.js';
import { DockerRuntime } from '../../../src/runtime/docker/runtime.js';
import { dockerSkip } from '../../helpers/images.js';
import { setupFixture, sink, type Fixture } from './fixture.js';
import { freePort } from '../../helpers/ports.js';

const skip = await dockerSkip();

describe('docker runtime: pods', { skip }, () => {
  let fx: Fixture;
  let sandboxConfig: PodSandboxConfig;
  let sandboxId: string;
  let serverId: string;
  let clientId: string;
  let hostPort: number;

  before(async () => {
    fx = await setupFixture('pod');
    hostPort = await freePort();
    sandboxConfig = fx.sandboxConfig('web', {
      portMappings: [{ protocol: 'TCP', containerPort: 8080, hostPort, hostIp: '127.0.0.1' }],
      dnsConfig: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] },
    });
  });

  after(async () => {
    await fx?.cleanup();
  });

  test('runPodSandbox starts the pause container with labels and a pod IP', async () => {
    sandboxId = await fx.runtime.runPodSandbox(sandboxConfig);
    const status = await fx.runtime.podSandboxStatus(sandboxId);
    assert.equal(status.state, 'SANDBOX_READY');
    assert.equal(status.hostNetwork, false);
    assert.deepEqual(status.metadata, sandboxConfig.metadata);
    assert.equal(status.ips.length, 1);
    assert.match(status.ips[0], /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(status.labels.app, 'web');
    assert.equal(status.labels[LABEL_POD_NAME], 'web');
    assert.equal(status.labels[LABEL_POD_NAMESPACE], 'default');
    assert.equal(status.labels[LABEL_POD_UID], sandboxConfig.metadata.uid);
    assert.equal(status.labels[LABEL_NODE_NAME], fx.nodeName);
    assert.equal(status.labels[LABEL_SANDBOX], 'true');
    assert.deepEqual(status.annotations, { 'k8ts.test/suite': 'pod' });

    const inspect = await fx.runtime.client.call<{ Name: string; HostConfig: { IpcMode: string } }>('GET', `/containers/${sandboxId}/json`);
    assert.equal(inspect.Name, `/k8s_POD_web_default_${sandboxConfig.metadata.uid}_0`);
    assert.equal(inspect.HostConfig.IpcMode, 'shareable');
    assert.equal(
      await readFile(`${sandboxConfig.podDir}/resolv.conf`, 'utf8'),
      'nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local\noptions ndots:5\n',
    );
  });

  test('two containers share localhost, one pod IP, hostname and DNS config', async () => {
    serverId = await fx.runtime.createContainer(
      sandboxId,
      fx.containerConfig('server', [
        'sh',
        '-c',
        // PID 1 ignores SIGTERM without a handler; the trap lets stopPodSandbox end it at once.
        'trap "exit 0" TERM; mkdir -p /www && echo hello-from-server > /www/index.html && httpd -f -p 8080 -h /www & wait',
      ]),
      sandboxConfig,
    );
    await fx.runtime.startContainer(serverId);
    // The client waits for the server itself and exits 0 once it got the page.
    clientId = await fx.runtime.createContainer(
      sandboxId,
      fx.containerConfig(
        'client',
        ['sh', '-c', 'until page=$(wget -q -O - http://127.0.0.1:8080/); do sleep 0.1; done; echo "$page"; hostname; cat /etc/resolv.conf'],
        { metadata: { name: 'client', attempt: 2 } },
      ),
      sandboxConfig,
    );
    await fx.runtime.startContainer(clientId);
    const output = await fx.waitExit(clientId);
    assert.match(output, /^hello-from-server\nweb\nnameserver 10\.96\.0\.10\nsearch default\.svc\.cluster\.local svc\.cluster\.local\noptions ndots:5\n$/);
    const clientStatus = await fx.runtime.containerStatus(clientId);
    assert.equal(clientStatus.exitCode, 0);
    assert.equal(clientStatus.reason, 'Completed');

    const { ips } = await fx.runtime.podSandboxStatus(sandboxId);
    const addr = sink();
    assert.equal(await fx.runtime.exec(serverId, { cmd: ['/bin/busybox', 'ip', '-4', '-o', 'addr', 'show', 'eth0'], stdout: addr.stream }), 0);
    assert.match(addr.text(), new RegExp(`inet ${ips[0].replace(/\./g, '\\.')}/`));

    // The node reaches the pod on its IP and through the published hostPort.
    assert.equal(await httpGet(ips[0], 8080), 'hello-from-server\n');
    assert.equal(await httpGet('127.0.0.1', hostPort), 'hello-from-server\n');
  });

  test('containers are named like dockershim and joined to the sandbox namespaces', async () => {
    const inspect = await fx.runtime.client.call<{ Name: string; HostConfig: { NetworkMode: string; IpcMode: string; LogConfig: { Type: string } } }>(
      'GET',
      `/containers/${clientId}/json`,
    );
    assert.equal(inspect.Name, `/k8s_client_web_default_${sandboxConfig.metadata.uid}_2`);
    assert.equal(inspect.HostConfig.NetworkMode, `container:${sandboxId}`);
    assert.equal(inspect.HostConfig.IpcMode, `container:${sandboxId}`);
    assert.equal(inspect.HostConfig.LogConfig.Type, 'json-file');
  });

  test('a restarted kubelet adopts the pod by listing labels', async () => {
    const restarted = new DockerRuntime({ nodeName: fx.nodeName });
    try {
      const sandboxes = await restarted.listPodSandboxes({ labelSelector: { [LABEL_POD_UID]: sandboxConfig.metadata.uid } });
      assert.equal(sandboxes.length, 1);
      assert.equal(sandboxes[0].id, sandboxId);
      assert.equal(sandboxes[0].state, 'SANDBOX_READY');
      assert.deepEqual(sandboxes[0].metadata, sandboxConfig.metadata);
      assert.deepEqual(sandboxes[0].annotations, { 'k8ts.test/suite': 'pod' });

      const containers = await restarted.listContainers({ podSandboxId: sandboxId });
      const byName = new Map(containers.map((c) => [c.metadata.name, c]));
      assert.deepEqual([...byName.keys()].sort(), ['client', 'server']);
      assert.equal(byName.get('server')?.state, 'CONTAINER_RUNNING');
      assert.equal(byName.get('server')?.id, serverId);
      assert.equal(byName.get('client')?.state, 'CONTAINER_EXITED');
      assert.equal(byName.get('client')?.metadata.attempt, 2);
      assert.equal(byName.get('client')?.podSandboxId, sandboxId);
      assert.equal(byName.get('client')?.labels[LABEL_CONTAINER_NAME], 'client');
      assert.match(byName.get('client')?.imageRef ?? '', /^docker:\/\/sha256:/);

      assert.deepEqual(
        (await restarted.listContainers({ podSandboxId: sandboxId, state: 'CONTAINER_RUNNING' })).map((c) => c.id),
        [serverId],
      );
      assert.deepEqual(
        (await restarted.listContainers({ labelSelector: { [LABEL_CONTAINER_NAME]: 'client' } })).map((c) => c.id),
        [clientId],
      );
      assert.deepEqual((await restarted.listContainers({ id: serverId })).map((c) => c.id), [serverId]);
    } finally {
      await restarted.close();
    }
    // Another node's runtime on the same dockerd sees none of it.
    const other = new DockerRuntime({ nodeName: `${fx.nodeName}-other` });
    try {
      assert.deepEqual(await other.listPodSandboxes(), []);
      assert.deepEqual(await other.listContainers(), []);
    } finally {
      await other.close();
    }
  });

  test('the container log path links to docker\'s log', async () => {
    const status = await fx.runtime.containerStatus(clientId);
    assert.ok(status.logPath.endsWith('.log'));
    assert.match(await readFile(status.logPath, 'utf8'), /hello-from-server/);
  });

  test('stopPodSandbox stops its containers and the sandbox; removePodSandbox removes all', async () => {
    await fx.runtime.stopPodSandbox(sandboxId);
    const status = await fx.runtime.podSandboxStatus(sandboxId);
    assert.equal(status.state, 'SANDBOX_NOTREADY');
    assert.deepEqual(status.ips, []);
    const server = await fx.runtime.containerStatus(serverId);
    assert.equal(server.state, 'CONTAINER_EXITED');
    assert.deepEqual(await fx.runtime.listPodSandboxes({ state: 'SANDBOX_READY' }), []);
    // Idempotent.
    await fx.runtime.stopPodSandbox(sandboxId);

    const logPath = (await fx.runtime.containerStatus(clientId)).logPath;
    await fx.runtime.removePodSandbox(sandboxId);
    await fx.runtime.removePodSandbox(sandboxId);
    assert.deepEqual(await fx.leftovers(), []);
    await assert.rejects(readFile(logPath), { code: 'ENOENT' });
    await assert.rejects(fx.runtime.podSandboxStatus(sandboxId), { name: 'RuntimeError', code: 'NotFound' });
  });

  test('a hostNetwork sandbox reports no pod IP', async () => {
    const config = fx.sandboxConfig('hostnet', { hostNetwork: true });
    const id = await fx.runtime.runPodSandbox(config);
    const status = await fx.runtime.podSandboxStatus(id);
    assert.equal(status.hostNetwork, true);
    assert.deepEqual(status.ips, []);
    await fx.runtime.stopPodSandbox(id);
    await fx.runtime.removePodSandbox(id);
  });
});


function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.once('error', reject);
    req.end();
  });
}
