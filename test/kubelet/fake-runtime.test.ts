import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { FakeRuntime, IpPool, commandFate, normalizeImage } from '../../src/runtime/fake/index.js';
import { LABEL_NODE_NAME, LABEL_POD_UID, type ContainerConfig, type PodSandboxConfig } from '../../src/runtime/interface.js';

const sbConfig = (uid: string, node = 'n1'): PodSandboxConfig => ({
  metadata: { name: 'p', namespace: 'default', uid, attempt: 0 },
  hostname: 'p',
  hostNetwork: false,
  portMappings: [],
  labels: { [LABEL_POD_UID]: uid, [LABEL_NODE_NAME]: node },
  annotations: {},
  podDir: '/nonexistent',
});
const cConfig = (uid: string, name: string, command: string[]): ContainerConfig => ({
  metadata: { name, attempt: 0 },
  image: 'busybox',
  command,
  args: [],
  env: [],
  mounts: [],
  labels: { [LABEL_POD_UID]: uid, [LABEL_NODE_NAME]: 'n1' },
  annotations: {},
  logPath: '/nonexistent/0.log',
});

test('ip pool hands out and reuses addresses', () => {
  const pool = new IpPool('10.1.0.0/30');
  assert.equal(pool.allocate(), '10.1.0.2');
  assert.throws(() => pool.allocate(), /exhausted/);
  pool.release('10.1.0.2');
  assert.equal(pool.allocate(), '10.1.0.2');
});

test('command fates and image names', () => {
  assert.deepEqual(commandFate(['false']), { exitCode: 1 });
  assert.deepEqual(commandFate(['sh', '-c', 'echo hi; exit 4']), { exitCode: 4 });
  assert.deepEqual(commandFate(['sleep', '2']), { exitCode: 0, exitAfterMs: 2000 });
  assert.equal(commandFate(['nginx']), undefined);
  assert.equal(normalizeImage('nginx'), 'docker.io/library/nginx:latest');
  assert.equal(normalizeImage('quay.io/x/y:1'), 'quay.io/x/y:1');
  assert.equal(normalizeImage('localhost:5000/app'), 'localhost:5000/app:latest');
});

test('fake runtime: sandbox IPs, containers that exit, listing by label, logs, stop and remove', async () => {
  const rt = new FakeRuntime({ defaultRunMs: 1 });
  try {
    await assert.rejects(rt.pullImage('example.com/doesnotexist'), /not found/);
    await rt.pullImage('busybox');
    const sb = await rt.runPodSandbox(sbConfig('u1'));
    assert.match((await rt.podSandboxStatus(sb)).ips[0]!, /^10\.244\./);
    const runner = await rt.createContainer(sb, cConfig('u1', 'run', ['nginx']), sbConfig('u1'));
    const quitter = await rt.createContainer(sb, cConfig('u1', 'quit', ['false']), sbConfig('u1'));
    await rt.startContainer(runner);
    await rt.startContainer(quitter);
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    await rt.logs(quitter, { follow: true }, out);
    assert.match(text, /exited with code 1/);
    const st = await rt.containerStatus(quitter);
    assert.equal(st.state, 'CONTAINER_EXITED');
    assert.equal(st.exitCode, 1);
    assert.equal(st.reason, 'Error');
    assert.equal((await rt.listContainers({ labelSelector: { [LABEL_NODE_NAME]: 'n1' }, state: 'CONTAINER_RUNNING' })).length, 1);
    assert.equal((await rt.listContainers({ labelSelector: { [LABEL_NODE_NAME]: 'other' } })).length, 0);
    assert.equal(await rt.exec(runner, { cmd: ['sh', '-c', 'exit 3'] }), 3);
    rt.killSandbox(sb);
    assert.equal((await rt.podSandboxStatus(sb)).state, 'SANDBOX_NOTREADY');
    await rt.removePodSandbox(sb);
    assert.deepEqual(await rt.listContainers({ labelSelector: { [LABEL_POD_UID]: 'u1' } }), []);
    assert.deepEqual(rt.stats(), { sandboxes: 0, containers: 0, images: 1 });
  } finally {
    await rt.close();
  }
});
