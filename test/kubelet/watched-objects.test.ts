import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestClient } from '../../src/client/rest.js';
import { WatchedObjects } from '../../src/kubelet/volumes/watched-objects.js';
import type { KubeObject } from '../../src/api/types.js';
import { startTestServer } from '../helpers/apiserver.js';

const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };

async function eventually<T>(what: string, f: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("watched objects: a node reads its pods' ConfigMaps through one watch each, sees creates and updates, and only those", async (t) => {
  const s = await startTestServer({ secure: true });
  t.after(() => s.close());
  const admin = RestClient.fromKubeconfig(s.kubeconfig);
  const node = RestClient.fromKubeconfig(await s.kubeconfigFor('system:node:n1', ['system:nodes']));
  t.after(() => {
    admin.close();
    node.close();
  });
  await admin.create({ group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true }, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } } as KubeObject);
  const pod = await admin.create<KubeObject>(PODS, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web' },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'cfg', configMap: { name: 'cfg' } }] },
  } as KubeObject);
  const uid = pod.metadata.uid!;
  const objects = new WatchedObjects(node, 5_000);
  t.after(() => objects.stop());

  // The Node authorizer learns of the pod through its own watch; until then the list is refused and retried.
  assert.equal(await objects.get('configmaps', 'default', 'cfg', uid), undefined, 'not created yet');
  assert.deepEqual(objects.watched, ['configmaps/default/cfg']);

  await admin.create(CONFIGMAPS, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { k: 'one' } } as KubeObject);
  await eventually('the ConfigMap through the watch', async () => ((await objects.get('configmaps', 'default', 'cfg', uid))?.data as { k?: string } | undefined)?.k === 'one' || undefined);
  await admin.patch(CONFIGMAPS, 'default', 'cfg', 'merge', { data: { k: 'two' } });
  await eventually('the update through the watch', async () => ((await objects.get('configmaps', 'default', 'cfg', uid))?.data as { k?: string } | undefined)?.k === 'two' || undefined);

  // An object no pod of this node uses: the Node authorizer refuses its list, so the cache never fills.
  await admin.create(CONFIGMAPS, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other' }, data: { k: 'x' } } as KubeObject);
  await assert.rejects(objects.get('configmaps', 'default', 'other', 'someone-else'), /failed to sync configmap cache: timed out waiting for the condition/);

  // Released by its last pod, an object loses its watch.
  objects.releasePod(uid);
  objects.releasePod('someone-else');
  assert.deepEqual(objects.watched, []);
  await objects.stop();
  await assert.rejects(objects.get('configmaps', 'default', 'cfg', uid), /the kubelet is stopping/);
});
