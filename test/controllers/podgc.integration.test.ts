import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, fastOptions, until, getOrUndefined, type Cluster } from './helpers.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import type { KubeObject } from '../../src/api/types.js';

const PODS = resourceFor('', 'v1', 'pods')!;
const NODES = resourceFor('', 'v1', 'nodes')!;
const NS = 'default';

let c: Cluster;

before(async () => {
  c = await startCluster({ controllers: ['podgc'], options: fastOptions({ terminatedPodGcThreshold: 1 }) });
});

after(async () => {
  await c.close();
});

async function pod(name: string, nodeName: string | undefined, phase: string): Promise<void> {
  await c.client.create(PODS, NS, { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName, containers: [{ name: 'c', image: 'pause' }] } } as KubeObject);
  const p = await c.client.get(PODS, NS, name);
  await c.client.updateStatus(PODS, NS, { ...p, status: { phase } });
}

const get = (name: string) => getOrUndefined(() => c.client.get<KubeObject & { status?: { phase?: string } }>(PODS, NS, name));

test('terminated pods beyond the threshold go, oldest first', async () => {
  // Names sort like their ages, so a tie in the one-second creationTimestamp still picks a-old.
  await pod('a-old', undefined, 'Succeeded');
  await pod('b-new', undefined, 'Failed');
  await until(async () => (await get('a-old')) === undefined, 'oldest terminated pod deleted');
  assert.ok(await get('b-new'));
});

test('pods bound to a node that no longer exists are failed and deleted after the quarantine', async () => {
  await c.client.create(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'doomed-node' } });
  await pod('on-doomed', 'doomed-node', 'Running');
  await pod('on-missing', 'never-existed', 'Running');
  await c.client.delete(NODES, undefined, 'doomed-node');
  await until(async () => (await get('on-doomed')) === undefined && (await get('on-missing')) === undefined, 'orphaned pods deleted');
});
