import { test } from 'node:test';
import { startTestServer } from '../helpers/apiserver.js';
import { RestClient } from '../../src/client/rest.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import { NamespaceDeleter } from '../../src/controllers/namespace/deleter.js';
test('x', async () => {
  const s = await startTestServer();
  const c = RestClient.fromKubeconfig(s.kubeconfig);
  const CM = resourceFor('', 'v1', 'configmaps')!;
  const NS = resourceFor('', 'v1', 'namespaces')!;
  await c.create(NS, undefined, { metadata: { name: 'held' } } as any);
  await c.create(CM, 'held', { metadata: { name: 'stuck', finalizers: ['example.com/hold'] } } as any);
  await c.delete(NS, undefined, 'held');
  const d = new NamespaceDeleter(c);
  try { await d.delete('held'); } catch (e) { console.log('ERR', (e as Error).message); }
  console.log(JSON.stringify(await c.get(NS, undefined, 'held')).slice(0, 1500));
  c.close(); await s.close();
});
