// The endpoint and EndpointSlice controllers leave Services without a
// selector alone, as upstream's do: default/kubernetes keeps the endpoints
// its API server writes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../helpers/apiserver.js';
import { RestClient } from '../../src/client/rest.js';
import { startControllerManager } from '../../src/controllers/manager.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import type { KubeObject } from '../../src/api/types.js';
import { fastOptions, until } from './helpers.js';

const SERVICES = resourceFor('', 'v1', 'services')!;
const ENDPOINTS = resourceFor('', 'v1', 'endpoints')!;
const SLICES = resourceFor('discovery.k8s.io', 'v1', 'endpointslices')!;

test('the kubernetes Service\'s endpoints are the API server\'s, not the controllers\'', async () => {
  const server = await startTestServer({ api: { kubernetesService: { advertiseAddress: '192.0.2.10' } } });
  const client = RestClient.fromKubeconfig(server.kubeconfig, { component: 'selectorless-test' });
  const before = await client.get<KubeObject>(ENDPOINTS, 'default', 'kubernetes');
  const slicesBefore = await client.list<KubeObject>(SLICES, 'default');
  const cm = await startControllerManager({ client, options: fastOptions(), controllers: ['endpoint', 'endpointslice'], leaderElect: false });
  try {
    // A Service with a selector gets its endpoints: the controllers have seen everything by then.
    await client.create(SERVICES, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } as KubeObject);
    await until(async () => (await client.list<KubeObject>(SLICES, 'default')).items.some((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'web'), 'the web slice');
    await until(() => client.get<KubeObject>(ENDPOINTS, 'default', 'web').catch(() => undefined), 'the web endpoints');
    const after = await client.get<KubeObject>(ENDPOINTS, 'default', 'kubernetes');
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
    const kubeSlices = (await client.list<KubeObject>(SLICES, 'default')).items.filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'kubernetes');
    assert.deepEqual(kubeSlices.map((s) => [s.metadata.name, s.metadata.resourceVersion]), slicesBefore.items.map((s) => [s.metadata.name, s.metadata.resourceVersion]));
  } finally {
    await cm.stop();
    client.close();
    await server.close();
  }
});
