import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, unlink, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestClient } from '../../src/client/rest.js';
import { startKubelet } from '../../src/kubelet/kubelet.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import { LABEL_NODE_NAME, LABEL_POD_UID } from '../../src/runtime/interface.js';
import { openStore } from '../../src/storage/open.js';
import { startApiServer } from '../../src/apiserver/server.js';
import { writeKubeconfig } from '../../src/apiserver/kubeconfig.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { eventually, eventsFor, FAST, PODS } from './harness.js';
import { freePort } from '../helpers/ports.js';


const manifest = (image: string): string => `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {tier: control-plane}
spec:
  containers:
  - name: nginx
    image: ${image}
`;

test('static pods run without an API server, get a mirror pod later, survive mirror deletion, follow manifest edits', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-static-'));
  const manifests = join(dir, 'manifests');
  await mkdir(manifests);
  const port = await freePort();
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  await writeKubeconfig(kubeconfig, { server: `http://127.0.0.1:${port}` });
  const client = RestClient.fromKubeconfig(kubeconfig, { component: 'kubelet-test', maxRetries: 0, timeoutMs: 5000 });
  const runtime = new FakeRuntime();
  await writeFile(join(manifests, 'web.yaml'), manifest('nginx:1.27'));
  await writeFile(join(manifests, '.hidden.yaml'), 'not: [valid');
  const kubelet = await startKubelet({ ...FAST, client, runtime, nodeName: 'node-1', rootDir: join(dir, 'root'), podManifestPath: manifests });
  let server: Awaited<ReturnType<typeof startApiServer>> | undefined;
  let store: Awaited<ReturnType<typeof openStore>> | undefined;
  try {
    const running = async (): Promise<string[]> =>
      (await runtime.listContainers({ labelSelector: { [LABEL_NODE_NAME]: 'node-1' } })).filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => c.id);
    const [firstId] = await eventually(async () => ((await running()).length === 1 ? running() : undefined));

    store = await openStore({ kind: 'sqlite', path: join(dir, 'state.db') });
    server = await startApiServer({ store, port, host: '127.0.0.1' });
    const mirror = await eventually(async () => {
      const m = await client.get<any>(PODS, 'default', 'web-node-1');
      return m.status?.phase === 'Running' && m.status.containerStatuses?.[0]?.ready ? m : undefined;
    });
    assert.ok(mirror.metadata.annotations['kubernetes.io/config.mirror']);
    assert.equal(mirror.metadata.annotations['kubernetes.io/config.source'], 'file');
    assert.equal(mirror.metadata.ownerReferences[0].kind, 'Node');
    assert.equal(mirror.metadata.ownerReferences[0].name, 'node-1');
    assert.equal(mirror.status.containerStatuses[0].containerID, `fake://${firstId}`);
    const get = await kubectlOk(kubeconfig, ['get', 'pods']);
    assert.match(get, /web-node-1\s+1\/1\s+Running/);

    // Deleting the mirror does not touch the static pod; the mirror comes back.
    await kubectlOk(kubeconfig, ['delete', 'pod', 'web-node-1', '--wait=false']);
    const again = await eventually(async () => {
      const m = await client.get<any>(PODS, 'default', 'web-node-1');
      return m.metadata.uid !== mirror.metadata.uid && !m.metadata.deletionTimestamp && m.status?.containerStatuses?.[0]?.ready ? m : undefined;
    });
    assert.equal(again.status.containerStatuses[0].containerID, `fake://${firstId}`);
    assert.deepEqual(await running(), [firstId]);

    // A bad manifest is reported on the Node, and the good one keeps running.
    await writeFile(join(manifests, 'bad.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {}\nspec: {containers: []}\n');
    const evs = await eventually(async () => {
      const e = await eventsFor(client, 'node-1', 'Node');
      return e.find((x) => x.reason === 'FailedValidation');
    });
    assert.match(evs.message, /^Could not process manifest file ".*bad\.yaml": /);
    assert.equal(evs.type, 'Warning');

    // Editing the manifest replaces the pod (new uid, new mirror).
    await writeFile(join(manifests, 'web.yaml'), manifest('nginx:1.28'));
    const edited = await eventually(async () => {
      const m = await client.get<any>(PODS, 'default', 'web-node-1');
      return m.spec.containers[0].image === 'nginx:1.28' && m.status?.containerStatuses?.[0]?.ready ? m : undefined;
    });
    assert.notEqual(edited.status.containerStatuses[0].containerID, `fake://${firstId}`);

    // Removing it stops the pod and deletes the mirror.
    await unlink(join(manifests, 'web.yaml'));
    await eventually(async () => (await running()).length === 0);
    await eventually(async () => {
      try {
        await client.get(PODS, 'default', 'web-node-1');
        return false;
      } catch (err) {
        return /not found/.test((err as Error).message);
      }
    });
    assert.deepEqual(await runtime.listPodSandboxes({ labelSelector: { [LABEL_POD_UID]: edited.metadata.annotations['kubernetes.io/config.mirror'] } }), []);
  } finally {
    await kubelet.stop();
    await runtime.close();
    client.close();
    await server?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  }
});
