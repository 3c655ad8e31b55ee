import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RestClient } from '../../src/client/rest.js';
import { startKubelet, type RunningKubelet } from '../../src/kubelet/kubelet.js';
import { DockerRuntime } from '../../src/runtime/docker/runtime.js';
import { LABEL_POD_UID } from '../../src/runtime/interface.js';
import { dockerSkip } from '../helpers/images.js';
import type { TestServer } from '../helpers/apiserver.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { eventually, eventsFor, FAST, NODES, PODS } from './harness.js';
import { startDockerNode, type DockerNode } from '../helpers/docker-node.js';

// The kubelet on the real Docker runtime: pods made of busybox containers,
// failures injected with `docker kill`.

const run = promisify(execFile);
const skip = await dockerSkip();
const SERVICES = { group: '', version: 'v1', resource: 'services', namespaced: true };

describe('kubelet on docker', { skip }, () => {
  let node: DockerNode;
  let server: TestServer;
  let client: RestClient;
  let runtime: DockerRuntime;
  let kubelet: RunningKubelet;
  let rootDir: string;
  let busybox: string;
  let nodeName: string;

  const mkPod = (name: string, spec: Record<string, unknown>): any => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName, terminationGracePeriodSeconds: 1, ...spec } });
  const getPod = (name: string): Promise<any> => client.get<any>(PODS, 'default', name);
  const ready = async (name: string): Promise<any> => {
    const p = await getPod(name);
    return p.status?.containerStatuses?.length && p.status.containerStatuses.every((c: any) => c.ready) ? p : undefined;
  };
  const dockerId = (cs: any): string => cs.containerID.replace(/^docker:\/\//, '');

  before(async () => {
    node = await startDockerNode({ name: 'kubelet' });
    ({ server, client, runtime, kubelet, rootDir, busybox, nodeName } = node);
  });

  after(async () => {
    // Removes every pod this suite made, then the pause image it built.
    await node?.stop();
  });

  test('nodeInfo matches docker version and /proc/meminfo', async () => {
    const node = await eventually(() => client.get<any>(NODES, undefined, nodeName));
    const { stdout } = await run('docker', ['version', '--format', '{{.Server.Version}}']);
    assert.equal(node.status.nodeInfo.containerRuntimeVersion, `docker://${stdout.trim()}`);
    const memKi = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);
    assert.equal(node.status.capacity.memory, `${memKi}Ki`);
  });

  test('two containers of a pod talk over localhost', async () => {
    await client.create(PODS, 'default', mkPod('duo', {
      containers: [
        { name: 'server', image: busybox, imagePullPolicy: 'Never', command: ['sh', '-c', 'mkdir -p /www && echo hello-from-server > /www/index.html && httpd -f -p 8080 -h /www'] },
        { name: 'client', image: busybox, imagePullPolicy: 'Never', command: ['sh', '-c', 'until wget -qO- http://127.0.0.1:8080/; do sleep 0.2; done; sleep 3600'] },
      ],
    }));
    await eventually(() => ready('duo'));
    const p = await getPod('duo');
    const logs = await eventually(async () => {
      const { stdout } = await run('docker', ['logs', dockerId(p.status.containerStatuses[1])]);
      return stdout.includes('hello-from-server') ? stdout : undefined;
    });
    assert.match(logs, /hello-from-server/);
  });

  test('service variables reach the container (kubectl logs of its env)', async () => {
    await kubectlOk(server.kubeconfig, ['create', 'service', 'clusterip', 'my-db', '--tcp=5432:5432', '--clusterip=10.0.0.77']);
    try {
      await eventually(async () => ((await client.list(SERVICES, 'default')).items.length ? true : undefined));
      await client.create(PODS, 'default', mkPod('envy', { restartPolicy: 'Never', containers: [{ name: 'c', image: busybox, imagePullPolicy: 'Never', command: ['env'] }] }));
      const out = await eventually(async () => {
        const p = await getPod('envy');
        if (p.status?.phase !== 'Succeeded') return undefined;
        return kubectlOk(server.kubeconfig, ['logs', 'envy']);
      });
      assert.match(out, /^MY_DB_SERVICE_HOST=10\.0\.0\.77$/m);
      assert.match(out, /^MY_DB_PORT_5432_TCP=tcp:\/\/10\.0\.0\.77:5432$/m);
    } finally {
      await kubectlOk(server.kubeconfig, ['delete', 'service', 'my-db']);
    }
  });

  test('lifecycle hooks: postStart runs before the container counts as started; a failing one kills it; preStop runs on deletion', async () => {
    const hostDir = await mkdtemp(join(tmpdir(), 'k8ts-prestop-'));
    try {
      await client.create(PODS, 'default', mkPod('hooked', {
        volumes: [{ name: 'out', hostPath: { path: hostDir } }],
        containers: [{
          name: 'c',
          image: busybox,
          imagePullPolicy: 'Never',
          command: ['sh', '-c', 'until [ -f /tmp/poststart ]; do sleep 0.1; done; cat /tmp/poststart; sleep 3600'],
          volumeMounts: [{ name: 'out', mountPath: '/out' }],
          lifecycle: {
            postStart: { exec: { command: ['sh', '-c', 'echo from-poststart > /tmp/poststart'] } },
            preStop: { exec: { command: ['sh', '-c', 'echo from-prestop > /out/prestop'] } },
          },
        }],
      }));
      await eventually(() => ready('hooked'));
      const logs = await eventually(async () => {
        const out = await kubectlOk(server.kubeconfig, ['logs', 'hooked']);
        return out.includes('from-poststart') ? out : undefined;
      });
      assert.match(logs, /from-poststart/);
      await client.delete(PODS, 'default', 'hooked');
      const written = await eventually(async () => readFileSync(join(hostDir, 'prestop'), 'utf8'));
      assert.equal(written, 'from-prestop\n');

      await client.create(PODS, 'default', mkPod('badhook', {
        containers: [{ name: 'c', image: busybox, imagePullPolicy: 'Never', command: ['sleep', '3600'], lifecycle: { postStart: { exec: { command: ['sh', '-c', 'exit 7'] } } } }],
      }));
      const ev = await eventually(async () => (await eventsFor(client, 'badhook')).find((e) => e.reason === 'FailedPostStartHook'));
      assert.equal(ev.type, 'Warning');
      assert.match(ev.message, /^Exec lifecycle hook \(\[sh -c exit 7\]\) for Container "c" in Pod "badhook_default\(.+\)" failed - error: command 'sh -c exit 7' exited with 7: , message: ""$/);
      const restarted = await eventually(async () => {
        const p = await getPod('badhook');
        return p.status?.containerStatuses?.[0]?.restartCount >= 1 ? p : undefined;
      });
      assert.ok(restarted.status.containerStatuses[0].restartCount >= 1, 'a failed postStart restarts the container');
    } finally {
      await rm(hostDir, { recursive: true, force: true });
    }
  });

  test('termination message: what the container leaves in /dev/termination-log is its terminated message', async () => {
    await client.create(PODS, 'default', mkPod('lastwords', {
      restartPolicy: 'Never',
      containers: [{ name: 'c', image: busybox, imagePullPolicy: 'Never', terminationMessagePath: '/dev/termination-log', command: ['sh', '-c', 'echo dying words > /dev/termination-log; exit 3'] }],
    }));
    const p = await eventually(async () => {
      const x = await getPod('lastwords');
      return x.status?.phase === 'Failed' ? x : undefined;
    });
    const t = p.status.containerStatuses[0].state.terminated;
    assert.equal(t.exitCode, 3);
    assert.equal(t.message, 'dying words\n');
    const desc = await kubectlOk(server.kubeconfig, ['describe', 'pod', 'lastwords']);
    assert.match(desc, /Message:\s+dying words/);
  });

  test('activeDeadlineSeconds: the pod fails with DeadlineExceeded and its containers stop', async () => {
    await client.create(PODS, 'default', mkPod('deadline', { activeDeadlineSeconds: 2, containers: [{ name: 'c', image: busybox, imagePullPolicy: 'Never', command: ['sleep', '3600'] }] }));
    const p = await eventually(async () => {
      const x = await getPod('deadline');
      return x.status?.phase === 'Failed' ? x : undefined;
    });
    assert.equal(p.status.reason, 'DeadlineExceeded');
    assert.equal(p.status.message, 'Pod was active on the node longer than the specified deadline');
    assert.ok(p.status.containerStatuses[0].state.terminated, 'the container is stopped');
    const evs = await eventsFor(client, 'deadline');
    assert.ok(evs.some((e) => e.reason === 'DeadlineExceeded'));
    // kubectl's STATUS column shows the stopped container's reason over the pod's, as upstream's printer does.
    assert.equal(await kubectlOk(server.kubeconfig, ['get', 'pod', 'deadline', '-o', 'jsonpath={.status.reason}']), 'DeadlineExceeded');
  });

  test('docker kill of a user container: restarted with restartCount and events', async () => {
    await client.create(PODS, 'default', mkPod('victim', { containers: [{ name: 'c', image: busybox, imagePullPolicy: 'Never', command: ['sleep', '3600'] }] }));
    const p = await eventually(() => ready('victim'));
    await run('docker', ['kill', dockerId(p.status.containerStatuses[0])]);
    const after = await eventually(async () => {
      const x = await ready('victim');
      return x?.status.containerStatuses[0].restartCount === 1 ? x : undefined;
    });
    assert.notEqual(after.status.containerStatuses[0].containerID, p.status.containerStatuses[0].containerID);
    assert.equal(after.status.containerStatuses[0].lastState.terminated.exitCode, 137);
    const evs = await eventsFor(client, 'victim');
    assert.ok(evs.filter((e) => e.reason === 'Started').length >= 1);
  });

  test('docker kill of the pause container: all containers restarted', async () => {
    await client.create(PODS, 'default', mkPod('paused', { containers: [{ name: 'a', image: busybox, imagePullPolicy: 'Never', command: ['sleep', '3600'] }, { name: 'b', image: busybox, imagePullPolicy: 'Never', command: ['sleep', '3600'] }] }));
    const p = await eventually(() => ready('paused'));
    const [sb] = await runtime.listPodSandboxes({ labelSelector: { [LABEL_POD_UID]: p.metadata.uid } });
    await run('docker', ['kill', sb!.id]);
    const after = await eventually(async () => {
      const x = await ready('paused');
      return x?.status.containerStatuses.every((c: any) => c.restartCount === 1) ? x : undefined;
    });
    assert.equal(after.status.containerStatuses.length, 2);
    const evs = await eventually(async () => (await eventsFor(client, 'paused')).find((e) => e.reason === 'SandboxChanged'));
    assert.equal(evs.message, 'Pod sandbox changed, it will be killed and re-created.');
  });

  test('CrashLoopBackOff', async () => {
    await client.create(PODS, 'default', mkPod('loop', { containers: [{ name: 'c', image: busybox, imagePullPolicy: 'Never', command: ['sh', '-c', 'exit 2'] }] }));
    const p = await eventually(async () => {
      const x = await getPod('loop');
      return x.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' ? x : undefined;
    });
    assert.equal(p.status.containerStatuses[0].lastState.terminated.exitCode, 2);
    const desc = await kubectlOk(server.kubeconfig, ['describe', 'pod', 'loop']);
    assert.match(desc, /Reason:\s+CrashLoopBackOff/);
  });

  test('missing image: ErrImagePull / ImagePullBackOff in describe', async () => {
    await client.create(PODS, 'default', mkPod('noimg', { containers: [{ name: 'c', image: 'k8ts-test/doesnotexist:never', imagePullPolicy: 'IfNotPresent' }] }));
    // Events are posted apart from the status update, so the waiting reason can show before the Failed event does.
    const desc = await eventually(async () => {
      const d = await kubectlOk(server.kubeconfig, ['describe', 'pod', 'noimg']);
      return /ImagePullBackOff|ErrImagePull/.test(d) && /Failed to pull image/.test(d) ? d : undefined;
    });
    assert.match(desc, /Failed to pull image "k8ts-test\/doesnotexist:never"/);
  });

  test('bad volume: FailedMount', async () => {
    await client.create(PODS, 'default', mkPod('badvol', { containers: [{ name: 'c', image: busybox, imagePullPolicy: 'Never', command: ['sleep', '3600'], volumeMounts: [{ name: 'h', mountPath: '/h' }] }], volumes: [{ name: 'h', hostPath: { path: join(rootDir, 'definitely-missing'), type: 'Directory' } }] }));
    const ev = await eventually(async () => (await eventsFor(client, 'badvol')).find((e) => e.reason === 'FailedMount'));
    assert.match(ev.message, /^MountVolume\.SetUp failed for volume "h" : hostPath type check failed: .* is not a directory$/);
  });

  test('adoption: a restarted kubelet keeps the containers', async () => {
    await client.create(PODS, 'default', mkPod('adopt', { containers: [{ name: 'c', image: busybox, imagePullPolicy: 'Never', command: ['sleep', '3600'] }] }));
    const p = await eventually(() => ready('adopt'));
    await kubelet.stop();
    kubelet = node.kubelet = await startKubelet({ ...FAST, client, runtime, nodeName, rootDir });
    // A sync by the new kubelet would have restarted a container it did not adopt; wait for its first status pass.
    await eventually(async () => (await client.get<any>(NODES, undefined, nodeName)).status.daemonEndpoints.kubeletEndpoint.Port === kubelet.port);
    const after = await eventually(() => ready('adopt'));
    assert.equal(after.status.containerStatuses[0].containerID, p.status.containerStatuses[0].containerID);
    assert.equal(after.status.containerStatuses[0].restartCount, 0);
  });
});
