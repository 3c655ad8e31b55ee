// Pure translations between the seam and Docker payloads: names, labels,
// create bodies, status mapping, references and endpoints. No daemon needed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LABEL_CONTAINER_NAME, LABEL_NODE_NAME, LABEL_POD_UID, LABEL_SANDBOX, type PodSandboxConfig } from '../../../src/runtime/interface.js';
import type { DockerContainerInspect } from '../../../src/runtime/docker/api-types.js';
import { endpointFromEnv, queryString } from '../../../src/runtime/docker/client.js';
import { containerCreateBody, containerStatusFromInspect, entrypointAndCmd } from '../../../src/runtime/docker/container.js';
import { pullQuery } from '../../../src/runtime/docker/images.js';
import { splitReference } from '../../../src/runtime/docker/import.js';
import { containerLabels, sandboxLabels, unfold } from '../../../src/runtime/docker/labels.js';
import { containerName, sandboxName } from '../../../src/runtime/docker/naming.js';
import { resolvConf, sandboxCreateBody, sandboxStatusFromInspect } from '../../../src/runtime/docker/sandbox.js';

const pod = { name: 'web', namespace: 'prod', uid: 'u-1', attempt: 1 };

const sandboxConfig: PodSandboxConfig = {
  metadata: pod,
  hostname: 'web',
  hostNetwork: false,
  portMappings: [
    { protocol: 'TCP', containerPort: 80, hostPort: 8080 },
    { protocol: 'UDP', containerPort: 53 },
  ],
  labels: { app: 'web' },
  annotations: { 'example.com/a': 'b' },
  podDir: '/var/lib/k8ts/pods/u-1',
};

function inspectWith(state: Partial<DockerContainerInspect['State']>, labels: Record<string, string> = {}): DockerContainerInspect {
  return {
    Id: 'abc',
    Name: '/x',
    Created: '2024-01-01T00:00:00.000000000Z',
    Image: 'sha256:1234',
    State: {
      Status: 'exited',
      Running: false,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: 0,
      ExitCode: 0,
      Error: '',
      StartedAt: '0001-01-01T00:00:00Z',
      FinishedAt: '0001-01-01T00:00:00Z',
      ...state,
    },
    Config: { Image: 'busybox', Labels: labels, Tty: false, Hostname: '' },
    HostConfig: { NetworkMode: 'bridge' },
    NetworkSettings: { IPAddress: '', Networks: { bridge: { IPAddress: '172.17.0.5' } } },
  };
}

describe('docker names', () => {
  test('follow dockershim', () => {
    assert.equal(sandboxName(pod), 'k8s_POD_web_prod_u-1_1');
    assert.equal(containerName({ name: 'app', attempt: 3 }, pod), 'k8s_app_web_prod_u-1_3');
  });
});

describe('labels', () => {
  test('carry the pod identity, node and kind, and fold annotations', () => {
    const l = sandboxLabels({ metadata: pod, labels: { app: 'web' }, annotations: { a: 'b' }, nodeName: 'n1' });
    assert.equal(l[LABEL_POD_UID], 'u-1');
    assert.equal(l[LABEL_NODE_NAME], 'n1');
    assert.equal(l[LABEL_SANDBOX], 'true');
    assert.equal(l['annotation.a'], 'b');
    const back = unfold(l);
    assert.deepEqual(back.annotations, { a: 'b' });
    assert.equal(back.labels.app, 'web');
    assert.equal(back.labels['io.kubernetes.docker.type'], undefined);
  });

  test('pod identity wins over user labels of the same key', () => {
    const l = containerLabels({
      sandboxId: 's',
      pod,
      container: { name: 'app', attempt: 0 },
      labels: { [LABEL_POD_UID]: 'forged' },
      annotations: {},
      logPath: '/l',
      nodeName: 'n1',
    });
    assert.equal(l[LABEL_POD_UID], 'u-1');
    assert.equal(l[LABEL_CONTAINER_NAME], 'app');
  });
});

describe('entrypoint and cmd', () => {
  const image = { Entrypoint: ['/ep'], Cmd: ['default'] };
  test('follow Kubernetes command/args semantics', () => {
    assert.deepEqual(entrypointAndCmd({ command: [], args: [] }, image), { Entrypoint: ['/ep'], Cmd: ['default'] });
    assert.deepEqual(entrypointAndCmd({ command: [], args: ['a'] }, image), { Entrypoint: ['/ep'], Cmd: ['a'] });
    assert.deepEqual(entrypointAndCmd({ command: ['/c'], args: [] }, image), { Entrypoint: ['/c'], Cmd: [] });
    assert.deepEqual(entrypointAndCmd({ command: ['/c'], args: ['a'] }, image), { Entrypoint: ['/c'], Cmd: ['a'] });
    assert.deepEqual(entrypointAndCmd({ command: [], args: [] }, null), { Entrypoint: null, Cmd: null });
  });
});

describe('create bodies', () => {
  test('the sandbox publishes hostPorts, declares the rest and shares IPC', () => {
    const body = sandboxCreateBody(sandboxConfig, { image: 'pause', nodeName: 'n1', network: 'bridge' }) as {
      ExposedPorts: Record<string, object>;
      HostConfig: Record<string, unknown>;
      Hostname: string;
    };
    assert.deepEqual(Object.keys(body.ExposedPorts).sort(), ['53/udp', '80/tcp']);
    assert.deepEqual(body.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '8080' }] });
    assert.equal(body.HostConfig.IpcMode, 'shareable');
    assert.equal(body.HostConfig.NetworkMode, 'bridge');
    assert.equal(body.Hostname, 'web');
    const host = sandboxCreateBody({ ...sandboxConfig, hostNetwork: true, hostPID: true, hostIPC: true }, { image: 'p', nodeName: 'n', network: 'bridge' }) as {
      HostConfig: Record<string, unknown>;
    };
    assert.equal(host.HostConfig.NetworkMode, 'host');
    assert.equal(host.HostConfig.PidMode, 'host');
    assert.equal(host.HostConfig.IpcMode, 'host');
    assert.deepEqual(host.HostConfig.PortBindings, {});
  });

  test('a container joins the sandbox and gets mounts, resolv.conf, user and limits', () => {
    const body = containerCreateBody(
      {
        metadata: { name: 'app', attempt: 2 },
        image: 'busybox',
        command: [],
        args: ['x'],
        env: [{ name: 'A', value: '1' }],
        mounts: [{ hostPath: '/h', containerPath: '/c', readOnly: true }],
        labels: {},
        annotations: {},
        logPath: '/logs/app.log',
        resources: { cpuShares: 2, memoryLimitBytes: 1 << 26 },
        securityContext: { runAsUser: 10, runAsGroup: 20, privileged: true },
      },
      {
        sandboxId: 'sb',
        sandbox: sandboxConfig,
        image: { Id: 'i', RepoTags: [], RepoDigests: [], Size: 1, Config: { Entrypoint: ['/ep'], Cmd: ['d'] } },
        nodeName: 'n1',
        resolvConf: '/pod/resolv.conf',
      },
    ) as Record<string, any>;
    assert.equal(body.HostConfig.NetworkMode, 'container:sb');
    assert.equal(body.HostConfig.IpcMode, 'container:sb');
    assert.deepEqual(body.HostConfig.Binds, ['/h:/c:ro', '/pod/resolv.conf:/etc/resolv.conf']);
    assert.deepEqual(body.Entrypoint, ['/ep']);
    assert.deepEqual(body.Cmd, ['x']);
    assert.deepEqual(body.Env, ['A=1']);
    assert.equal(body.User, '10:20');
    assert.equal(body.HostConfig.Privileged, true);
    assert.equal(body.HostConfig.Memory, 1 << 26);
    assert.equal(body.HostConfig.MemorySwap, 1 << 26);
    assert.equal(body.HostConfig.LogConfig.Type, 'json-file');
    assert.equal(body.Labels['io.k8ts.attempt'], '2');
    assert.equal(body.Labels['io.kubernetes.sandbox.id'], 'sb');
    assert.equal(body.Hostname, undefined);
  });

  test('resolv.conf content', () => {
    assert.equal(resolvConf({ servers: ['1.1.1.1'], searches: ['a', 'b'], options: ['ndots:5'] }), 'nameserver 1.1.1.1\nsearch a b\noptions ndots:5\n');
    assert.equal(resolvConf({ servers: [], searches: [], options: [] }), '');
  });
});

describe('status mapping', () => {
  test('running, completed, error, OOMKilled, cannot run, created', () => {
    const running = containerStatusFromInspect(inspectWith({ Running: true, Status: 'running', StartedAt: '2024-01-01T00:00:01Z' }));
    assert.equal(running.state, 'CONTAINER_RUNNING');
    assert.equal(running.startedAt, Date.parse('2024-01-01T00:00:01Z'));
    const done = { StartedAt: '2024-01-01T00:00:01Z', FinishedAt: '2024-01-01T00:00:02Z' };
    assert.equal(containerStatusFromInspect(inspectWith({ ...done, ExitCode: 0 })).reason, 'Completed');
    assert.equal(containerStatusFromInspect(inspectWith({ ...done, ExitCode: 2 })).reason, 'Error');
    assert.equal(containerStatusFromInspect(inspectWith({ ...done, ExitCode: 137, OOMKilled: true })).reason, 'OOMKilled');
    const cannot = containerStatusFromInspect(inspectWith({ Status: 'created', ExitCode: 127, Error: 'exec: not found' }));
    assert.equal(cannot.state, 'CONTAINER_EXITED');
    assert.equal(cannot.reason, 'ContainerCannotRun');
    assert.equal(cannot.message, 'exec: not found');
    assert.equal(cannot.finishedAt, Date.parse('2024-01-01T00:00:00Z'));
    const created = containerStatusFromInspect(inspectWith({ Status: 'created' }));
    assert.equal(created.state, 'CONTAINER_CREATED');
    assert.equal(created.startedAt, 0);
    assert.equal(created.imageRef, 'docker://sha256:1234');
  });

  test('sandbox IPs come from the pod network; none when not running or on the host network', () => {
    const labels = sandboxLabels({ metadata: pod, labels: {}, annotations: {}, nodeName: 'n' });
    const ready = sandboxStatusFromInspect(inspectWith({ Running: true, Status: 'running' }, labels), 'bridge');
    assert.deepEqual(ready.ips, ['172.17.0.5']);
    assert.deepEqual(ready.metadata, pod);
    assert.deepEqual(sandboxStatusFromInspect(inspectWith({}, labels), 'bridge').ips, []);
    const host = inspectWith({ Running: true }, labels);
    host.HostConfig.NetworkMode = 'host';
    assert.equal(sandboxStatusFromInspect(host, 'bridge').hostNetwork, true);
    assert.deepEqual(sandboxStatusFromInspect(host, 'bridge').ips, []);
  });
});

describe('references and endpoints', () => {
  test('pull pins :latest for bare names only', () => {
    assert.deepEqual(pullQuery('busybox'), { fromImage: 'busybox', tag: 'latest' });
    assert.deepEqual(pullQuery('busybox:1.36'), { fromImage: 'busybox:1.36' });
    assert.deepEqual(pullQuery('localhost:5000/busybox'), { fromImage: 'localhost:5000/busybox', tag: 'latest' });
    assert.deepEqual(pullQuery('busybox@sha256:abc'), { fromImage: 'busybox@sha256:abc' });
  });

  test('import splits repo and tag', () => {
    assert.deepEqual(splitReference('k8ts/pause:3.10'), { repo: 'k8ts/pause', tag: '3.10' });
    assert.deepEqual(splitReference('localhost:5000/pause'), { repo: 'localhost:5000/pause', tag: 'latest' });
  });

  test('DOCKER_HOST', () => {
    assert.deepEqual(endpointFromEnv({}), { socketPath: '/var/run/docker.sock' });
    assert.deepEqual(endpointFromEnv({ DOCKER_HOST: 'unix:///run/d.sock' }), { socketPath: '/run/d.sock' });
    assert.deepEqual(endpointFromEnv({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }), { host: '127.0.0.1', port: 2375 });
    assert.throws(() => endpointFromEnv({ DOCKER_HOST: 'ssh://x' }), { name: 'RuntimeError', code: 'InvalidConfig' });
  });

  test('query strings repeat array values', () => {
    assert.equal(queryString({ a: true, b: undefined, c: ['x', 'y'], d: 3 }), '?a=1&c=x&c=y&d=3');
  });
});
