import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pleg } from '../../src/kubelet/pod/pleg.js';
import { FakeRuntime } from '../../src/runtime/fake/runtime.js';
import { LABEL_NODE_NAME, LABEL_POD_UID, type ContainerRuntime, type PodSandboxConfig } from '../../src/runtime/interface.js';

// The PLEG reports a pod whenever its containers changed state between two
// relists; with a runtime that counts changes per node (the fake one), a
// relist with nothing new lists nothing, and any change is still seen.

async function startPod(rt: FakeRuntime, node: string, uid: string): Promise<{ sandbox: string; container: string }> {
  const labels = { [LABEL_NODE_NAME]: node, [LABEL_POD_UID]: uid };
  const cfg: PodSandboxConfig = { metadata: { name: uid, namespace: 'default', uid, attempt: 0 }, hostname: uid, hostNetwork: false, portMappings: [], labels, annotations: {}, podDir: '/nonexistent' };
  const sandbox = await rt.runPodSandbox(cfg);
  const container = await rt.createContainer(sandbox, { metadata: { name: 'c', attempt: 0 }, image: 'busybox', command: ['sleep', '3600'], args: [], labels: { ...labels }, annotations: {}, logPath: '/nonexistent/log', env: [], mounts: [] }, cfg);
  await rt.startContainer(container);
  return { sandbox, container };
}

/** The runtime, counting its listings. */
function counted(rt: ContainerRuntime, withGeneration: boolean): { runtime: ContainerRuntime; lists: () => number } {
  let lists = 0;
  const runtime = Object.create(rt) as ContainerRuntime;
  runtime.listPodSandboxes = (f) => (lists++, rt.listPodSandboxes(f));
  runtime.listContainers = (f) => rt.listContainers(f);
  runtime.nodeGeneration = withGeneration ? (n) => rt.nodeGeneration!(n) : undefined;
  return { runtime, lists: () => lists };
}

test('a relist with nothing changed on the node lists nothing; every change is still reported', async () => {
  const rt = new FakeRuntime();
  await rt.pullImage('busybox');
  const a = await startPod(rt, 'n1', 'a');
  const b = await startPod(rt, 'n1', 'b');
  await startPod(rt, 'n2', 'other');
  const { runtime, lists } = counted(rt, true);
  const changed: string[] = [];
  const pleg = new Pleg(runtime, 'n1', (uid) => changed.push(uid));

  assert.deepEqual([...(await pleg.relist())!].sort(), ['a', 'b']);
  assert.deepEqual(changed.sort(), ['a', 'b']);
  assert.equal(lists(), 1);

  // Nothing changed on n1 (a pod of another node started): no listing, the same pods.
  changed.length = 0;
  await startPod(rt, 'n2', 'other-2');
  assert.deepEqual([...(await pleg.relist())!].sort(), ['a', 'b']);
  assert.equal(lists(), 1);
  assert.deepEqual(changed, []);

  // A container that dies, a pause that dies, a pod removed: each is seen.
  rt.killContainer(a.container);
  await pleg.relist();
  assert.deepEqual(changed, ['a']);
  rt.killSandbox(b.sandbox);
  await pleg.relist();
  assert.deepEqual(changed, ['a', 'b']);
  await rt.removePodSandbox(b.sandbox);
  assert.deepEqual([...(await pleg.relist())!], ['a']);
  assert.deepEqual(changed, ['a', 'b', 'b']);
  assert.equal(lists(), 4);
  await rt.close();
});

test('a runtime that cannot count changes is listed on every relist', async () => {
  const rt = new FakeRuntime();
  await rt.pullImage('busybox');
  await startPod(rt, 'n1', 'a');
  const { runtime, lists } = counted(rt, false);
  const pleg = new Pleg(runtime, 'n1', () => {});
  for (let i = 0; i < 3; i++) await pleg.relist();
  assert.equal(lists(), 3);
  await rt.close();
});
