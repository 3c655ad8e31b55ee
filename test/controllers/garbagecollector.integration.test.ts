import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { kubectlOk } from '../helpers/kubectl.js';
import { startCluster, until, getOrUndefined, type Cluster } from './helpers.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import type { KubeObject, OwnerReference } from '../../src/api/types.js';

const CONFIGMAPS = resourceFor('', 'v1', 'configmaps')!;
const NS = 'default';

let c: Cluster;

before(async () => {
  c = await startCluster({ controllers: ['garbagecollector'] });
});

after(async () => {
  await c.close();
});

function ref(owner: KubeObject, block = false): OwnerReference {
  return { apiVersion: 'v1', kind: 'ConfigMap', name: owner.metadata.name!, uid: owner.metadata.uid!, ...(block ? { blockOwnerDeletion: true } : {}) };
}

async function cm(name: string, owners: OwnerReference[] = [], finalizers?: string[]): Promise<KubeObject> {
  return c.client.create<KubeObject>(CONFIGMAPS, NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ownerReferences: owners.length ? owners : undefined, finalizers } });
}

const get = (name: string): Promise<KubeObject | undefined> => getOrUndefined(() => c.client.get<KubeObject>(CONFIGMAPS, NS, name));
const gone = (name: string): Promise<boolean> => get(name).then((o) => o === undefined);

test('background: dependents go after their owner', async () => {
  const owner = await cm('bg-owner');
  await cm('bg-dep-1', [ref(owner)]);
  await cm('bg-dep-2', [ref(owner)]);
  await c.client.delete(CONFIGMAPS, NS, 'bg-owner');
  await until(async () => (await gone('bg-dep-1')) && (await gone('bg-dep-2')), 'dependents deleted');
});

test('foreground: the owner waits for blocking dependents, then goes', async () => {
  const owner = await cm('fg-owner');
  await cm('fg-dep-1', [ref(owner, true)]);
  // This dependent holds its own deletion with a finalizer, so the owner must keep waiting.
  await cm('fg-dep-2', [ref(owner, true)], ['example.com/hold']);
  const marked = (await c.client.delete<KubeObject>(CONFIGMAPS, NS, 'fg-owner', { propagationPolicy: 'Foreground' })) as KubeObject;
  assert.ok(marked.metadata.deletionTimestamp);
  assert.deepEqual(marked.metadata.finalizers, ['foregroundDeletion']);
  await until(() => gone('fg-dep-1'), 'first dependent deleted');
  const held = await until(async () => (await get('fg-dep-2'))?.metadata.deletionTimestamp, 'second dependent marked for deletion');
  assert.ok(held);
  const stillThere = await get('fg-owner');
  assert.ok(stillThere, 'owner stays while a blocking dependent exists');
  assert.deepEqual(stillThere.metadata.finalizers, ['foregroundDeletion']);
  await c.client.patch(CONFIGMAPS, NS, 'fg-dep-2', 'merge', { metadata: { finalizers: null } });
  await until(() => gone('fg-owner'), 'owner deleted after its dependents');
});

test('foreground through kubectl --cascade=foreground', async () => {
  const owner = await cm('kfg-owner');
  await cm('kfg-dep', [ref(owner, true)]);
  await kubectlOk(c.server.kubeconfig, ['delete', 'configmap', 'kfg-owner', '-n', NS, '--cascade=foreground']);
  assert.equal(await gone('kfg-owner'), true);
  assert.equal(await gone('kfg-dep'), true);
});

test('orphan: dependents stay and lose the owner reference', async () => {
  const owner = await cm('or-owner');
  const other = await cm('or-other');
  await cm('or-dep-1', [ref(owner)]);
  await cm('or-dep-2', [ref(owner), ref(other)]);
  await kubectlOk(c.server.kubeconfig, ['delete', 'configmap', 'or-owner', '-n', NS, '--cascade=orphan']);
  await until(() => gone('or-owner'), 'owner deleted');
  const d1 = await get('or-dep-1');
  const d2 = await get('or-dep-2');
  assert.ok(d1 && d2);
  assert.equal(d1.metadata.ownerReferences, undefined);
  assert.deepEqual(d2.metadata.ownerReferences?.map((r) => r.name), ['or-other']);
});

test('a dependent whose owner never existed is collected; one with a live owner only loses the dangling reference', async () => {
  const live = await cm('dg-live');
  const ghost: OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'dg-ghost', uid: randomUUID() };
  await cm('dg-orphan', [ghost]);
  await cm('dg-mixed', [ref(live), ghost]);
  await until(() => gone('dg-orphan'), 'dangling dependent deleted');
  const mixed = await until(async () => {
    const m = await get('dg-mixed');
    return m?.metadata.ownerReferences?.length === 1 ? m : undefined;
  }, 'dangling reference removed');
  assert.equal(mixed.metadata.ownerReferences![0]!.uid, live.metadata.uid);
});

test('an owner re-created under the same name does not keep old dependents alive', async () => {
  const first = await cm('re-owner');
  await cm('re-dep', [ref(first)]);
  await c.client.delete(CONFIGMAPS, NS, 're-owner');
  await cm('re-owner');
  await until(() => gone('re-dep'), 'dependent of the old owner deleted');
  assert.ok(await get('re-owner'));
});
