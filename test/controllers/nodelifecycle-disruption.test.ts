import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../src/client/store.js';
import { StatusError } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/types.js';
import type { Informer } from '../../src/client/informer.js';
import type { RestClient } from '../../src/client/rest.js';
import type { EventRecorder } from '../../src/client/events/recorder.js';
import { NodeLifecycleController } from '../../src/controllers/nodelifecycle/controller.js';
import { defaultControllerManagerOptions } from '../../src/controllers/options.js';
import type { Lease, Node, Pod } from '../../src/controllers/nodelifecycle/types.js';

// The node lifecycle controller's passes driven by hand over in-memory
// caches and a fake API, with a stepped clock: zone disruption decisions
// without waiting on real time.

function fakeInformer<T extends KubeObject>(store: Store<T>): Informer<T> {
  return {
    store,
    addEventHandler: () => ({ remove() {}, hasSynced: () => true }),
    addIndexers: (i: Record<string, (o: T) => string[]>) => store.addIndexers(i),
    waitForSync: async () => true,
  } as unknown as Informer<T>;
}

function fakeApi(nodes: Store<Node>, pods: Store<Pod>): RestClient {
  let rv = 100;
  const bump = <T extends KubeObject>(o: T): T => ({ ...o, metadata: { ...o.metadata, resourceVersion: String(++rv) } });
  return {
    async get(_r: unknown, _ns: unknown, name: string) {
      const n = nodes.get(name);
      if (!n) throw new StatusError(404, 'NotFound', 'not found');
      return structuredClone(n);
    },
    async patch(_r: unknown, _ns: unknown, name: string, _t: string, body: { metadata: { resourceVersion?: string }; spec: { taints: Node['spec'] extends infer S ? (S extends { taints?: infer X } ? X : never) : never } }) {
      const n = nodes.get(name)!;
      if (body.metadata.resourceVersion && body.metadata.resourceVersion !== n.metadata.resourceVersion) throw new StatusError(409, 'Conflict', 'conflict');
      const next = bump({ ...n, spec: { ...n.spec, taints: body.spec.taints ?? undefined } });
      nodes.set(next);
      return next;
    },
    async updateStatus(r: { resource: string }, _ns: unknown, obj: KubeObject) {
      const next = bump(obj);
      if (r.resource === 'nodes') nodes.set(next as Node);
      else pods.set(next as Pod);
      return next;
    },
  } as unknown as RestClient;
}

function setup() {
  let now = 1_000_000;
  const nodes = new Store<Node>();
  const leases = new Store<Lease>();
  const pods = new Store<Pod>();
  const events: string[] = [];
  const recorder = { event: (ref: { name?: string }, _t: string, reason: string) => void events.push(`${reason} ${ref.name}`) } as unknown as EventRecorder;
  const o = defaultControllerManagerOptions();
  o.nodeEvictionRate = 1000;
  const c = new NodeLifecycleController(fakeApi(nodes, pods), recorder, fakeInformer(nodes), fakeInformer(leases), fakeInformer(pods), o, () => now);
  const iso = (): string => new Date(now).toISOString();
  const addNode = (name: string, zone: string): void => {
    nodes.set({
      metadata: { name, uid: `uid-${name}`, resourceVersion: '1', labels: { 'topology.kubernetes.io/zone': zone } },
      status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: iso(), lastTransitionTime: iso() }] },
    });
    leases.set({ metadata: { name, namespace: 'kube-node-lease' }, spec: { renewTime: iso() } });
  };
  const renew = (name: string): void => void leases.set({ metadata: { name, namespace: 'kube-node-lease' }, spec: { renewTime: new Date(now).toISOString().replace('Z', '000Z') } });
  const step = (s: number): void => void (now += s * 1000);
  const taints = (name: string): string[] => (nodes.get(name)!.spec?.taints ?? []).map((t) => `${t.key.replace('node.kubernetes.io/', '')}:${t.effect}`).sort();
  const ready = (name: string): string | undefined => nodes.get(name)!.status?.conditions?.find((x) => x.type === 'Ready')?.status;
  const pass = async (): Promise<void> => {
    await c.monitorNodeHealth();
    await c.doNoExecuteTaintingPass();
  };
  return { c, addNode, renew, step, taints, ready, pass, events, zone: (z: string) => c.zoneState(`:\u0000:${z}`) };
}

test('one silent node in a healthy zone is tainted; when every node is silent, nothing is (master disruption mode)', async () => {
  const t = setup();
  for (const n of ['a', 'b', 'c']) t.addNode(n, 'z1');
  await t.pass();
  assert.deepEqual(t.events.filter((e) => e.startsWith('RegisteredNode')).sort(), ['RegisteredNode a', 'RegisteredNode b', 'RegisteredNode c']);
  assert.equal(t.zone('z1'), 'Normal');

  // c goes silent past the grace period; a and b keep renewing their leases.
  t.step(60);
  t.renew('a');
  t.renew('b');
  await t.pass();
  assert.equal(t.ready('c'), 'Unknown');
  assert.ok(t.events.includes('NodeNotReady c'));
  // The pass that marks the node Unknown also queues its NoExecute taint (upstream waits for the next pass).
  assert.deepEqual(t.taints('c'), ['unreachable:NoExecute']);
  await t.pass();
  assert.deepEqual(t.taints('c'), ['unreachable:NoExecute']);
  assert.equal(t.zone('z1'), 'Normal');

  // Everyone goes silent: a whole-cluster outage looks like a control-plane problem, so no evictions.
  t.step(60);
  await t.pass();
  await t.pass();
  assert.deepEqual([t.ready('a'), t.ready('b'), t.ready('c')], ['Unknown', 'Unknown', 'Unknown']);
  assert.equal(t.zone('z1'), 'FullDisruption');
  assert.deepEqual([t.taints('a'), t.taints('b'), t.taints('c')], [[], [], []], 'NoExecute taints removed, none added');
});

test('a fully disrupted zone beside a healthy one is still evicted at the normal rate', async () => {
  const t = setup();
  t.addNode('a1', 'za');
  t.addNode('b1', 'zb');
  await t.pass();
  t.step(60);
  t.renew('a1');
  await t.pass();
  await t.pass();
  assert.equal(t.zone('zb'), 'FullDisruption');
  assert.equal(t.zone('za'), 'Normal');
  assert.deepEqual(t.taints('b1'), ['unreachable:NoExecute']);
});

test('a partially disrupted small zone stops tainting (secondary rate is 0 below the large-cluster threshold)', async () => {
  const t = setup();
  const names = ['n1', 'n2', 'n3', 'n4', 'n5'];
  for (const n of names) t.addNode(n, 'z');
  await t.pass();
  t.step(60);
  t.renew('n1');
  t.renew('n2');
  await t.pass();
  await t.pass();
  await t.pass();
  assert.equal(t.zone('z'), 'PartialDisruption');
  const tainted = ['n3', 'n4', 'n5'].filter((n) => t.taints(n).length > 0);
  // The zone turned partially disrupted in the same pass its nodes went Unknown, before any was queued.
  assert.deepEqual(tainted, []);
});
