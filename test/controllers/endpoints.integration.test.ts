import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlOk } from '../helpers/kubectl.js';
import { startCluster, until, getOrUndefined, type Cluster } from './helpers.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import type { KubeObject } from '../../src/api/types.js';

const PODS = resourceFor('', 'v1', 'pods')!;
const SERVICES = resourceFor('', 'v1', 'services')!;
const ENDPOINTS = resourceFor('', 'v1', 'endpoints')!;
const SLICES = resourceFor('discovery.k8s.io', 'v1', 'endpointslices')!;
const NS = 'default';

let c: Cluster;

before(async () => {
  c = await startCluster({ controllers: ['endpoint', 'endpointslice', 'garbagecollector'] });
});

after(async () => {
  await c.close();
});

async function pod(name: string, ip: string, ready: boolean, labels = { app: 'web' }): Promise<void> {
  await c.client.create(PODS, NS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { nodeName: 'node-a', hostname: name, subdomain: 'web', containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] },
  } as KubeObject);
  await setStatus(name, ip, ready);
}

async function setStatus(name: string, ip: string, ready: boolean): Promise<void> {
  const p = await c.client.get(PODS, NS, name);
  await c.client.updateStatus(PODS, NS, {
    ...p,
    status: {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }],
    },
  });
}

interface Subset {
  addresses?: { ip: string; hostname?: string; nodeName?: string; targetRef?: { name: string } }[];
  notReadyAddresses?: { ip: string }[];
  ports?: { name?: string; port: number; protocol: string }[];
}

test('Endpoints and EndpointSlices follow the selected pods', async () => {
  await c.client.create(SERVICES, NS, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', labels: { tier: 'front' } },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  } as KubeObject);
  await pod('web-1', '10.1.0.1', true);
  await pod('web-2', '10.1.0.2', false);
  await pod('other', '10.1.0.9', true, { app: 'db' } as { app: string });

  const ep = await until(async () => {
    const e = await getOrUndefined(() => c.client.get<KubeObject & { subsets?: Subset[] }>(ENDPOINTS, NS, 'web'));
    const s = e?.subsets?.[0];
    return s?.addresses?.length === 1 && s.notReadyAddresses?.length === 1 ? e : undefined;
  }, 'endpoints with one ready and one not-ready address');
  const subset = ep.subsets![0]!;
  assert.equal(ep.metadata.labels?.tier, 'front');
  assert.deepEqual(subset.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  assert.equal(subset.addresses![0]!.ip, '10.1.0.1');
  assert.equal(subset.addresses![0]!.hostname, 'web-1');
  assert.equal(subset.addresses![0]!.nodeName, 'node-a');
  assert.equal(subset.addresses![0]!.targetRef?.name, 'web-1');
  assert.equal(subset.notReadyAddresses![0]!.ip, '10.1.0.2');

  const slice = await until(async () => {
    const list = await c.client.list<KubeObject & { endpoints?: { addresses: string[]; conditions: { ready: boolean } }[]; ports?: unknown[]; addressType: string }>(SLICES, NS, {
      labelSelector: 'kubernetes.io/service-name=web',
    });
    const s = list.items[0];
    return list.items.length === 1 && s?.endpoints?.length === 2 ? s : undefined;
  }, 'one endpoint slice with two endpoints');
  assert.equal(slice.addressType, 'IPv4');
  assert.equal(slice.metadata.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
  assert.deepEqual(slice.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(
    slice.endpoints!.map((e) => [e.addresses[0], e.conditions.ready]).sort(),
    [
      ['10.1.0.1', true],
      ['10.1.0.2', false],
    ],
  );
  assert.equal(slice.metadata.ownerReferences?.[0]?.kind, 'Service');

  // The second pod becomes ready.
  await setStatus('web-2', '10.1.0.2', true);
  await until(async () => {
    const e = await c.client.get<KubeObject & { subsets?: Subset[] }>(ENDPOINTS, NS, 'web');
    return e.subsets?.[0]?.addresses?.length === 2 && !e.subsets[0].notReadyAddresses;
  }, 'both addresses ready');

  const out = await kubectlOk(c.server.kubeconfig, ['get', 'endpoints', 'web', '-n', NS]);
  assert.match(out, /10\.1\.0\.1:8080,10\.1\.0\.2:8080/);

  // Deleting the service removes its Endpoints, and the garbage collector its slices.
  await c.client.delete(SERVICES, NS, 'web');
  await until(async () => (await getOrUndefined(() => c.client.get(ENDPOINTS, NS, 'web'))) === undefined, 'endpoints deleted');
  await until(async () => (await c.client.list(SLICES, NS, { labelSelector: 'kubernetes.io/service-name=web' })).items.length === 0, 'slices deleted');
});

test('headless service with publishNotReadyAddresses and no ports', async () => {
  await c.client.create(SERVICES, NS, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'peers' },
    spec: { clusterIP: 'None', selector: { app: 'peer' }, publishNotReadyAddresses: true },
  } as KubeObject);
  await pod('peer-0', '10.2.0.1', false, { app: 'peer' } as { app: string });
  const ep = await until(async () => {
    const e = await getOrUndefined(() => c.client.get<KubeObject & { subsets?: Subset[] }>(ENDPOINTS, NS, 'peers'));
    return e?.subsets?.[0]?.addresses?.length === 1 ? e : undefined;
  }, 'not-ready pod published as ready');
  assert.equal(ep.metadata.labels?.['service.kubernetes.io/headless'], '');
  assert.equal(ep.subsets![0]!.ports, undefined);
});
