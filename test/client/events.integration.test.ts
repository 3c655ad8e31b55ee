import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { RestClient } from '../../src/client/rest.js';
import { EventRecorder, EVENTS } from '../../src/client/events/recorder.js';
import type { CoreEvent } from '../../src/client/events/types.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import { sleep } from '../../src/client/clock.js';

const CM = resourceFor('', 'v1', 'configmaps')!;

let server: TestServer;
let client: RestClient;

before(async () => {
  server = await startTestServer();
  client = RestClient.fromKubeconfig(server.kubeconfig, { component: 'events-test' });
});

after(async () => {
  client.close();
  await server.close();
});

test('a repeated event is one Event whose count grows and lastTimestamp moves', async () => {
  const obj = await client.create(CM, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'noisy', namespace: 'default' } });
  const recorder = new EventRecorder(client, { component: 'test-controller', host: 'host-1' });
  try {
    recorder.event(obj, 'Warning', 'FailedSync', 'could not sync');
    await recorder.flush();
    const first = (await client.list<CoreEvent>(EVENTS, 'default')).items.filter((e) => e.involvedObject.name === 'noisy');
    assert.equal(first.length, 1);
    const e1 = first[0]!;
    assert.equal(e1.count, 1);
    assert.match(e1.metadata.name!, /^noisy\.[0-9a-f]+$/);
    assert.deepEqual(e1.source, { component: 'test-controller', host: 'host-1' });
    assert.equal(e1.reportingComponent, 'test-controller');
    assert.equal(e1.reportingInstance, 'host-1');
    assert.deepEqual(e1.involvedObject, {
      kind: 'ConfigMap',
      namespace: 'default',
      name: 'noisy',
      uid: obj.metadata.uid,
      apiVersion: 'v1',
      resourceVersion: obj.metadata.resourceVersion,
    });
    assert.equal(e1.type, 'Warning');

    // timestamps have second precision: let one pass so lastTimestamp visibly moves
    await sleep(1100);
    recorder.event(obj, 'Warning', 'FailedSync', 'could not sync');
    recorder.eventf(obj, 'Warning', 'FailedSync', 'could not %s', 'sync');
    await recorder.flush();

    const out = await kubectlOk(server.kubeconfig, ['get', 'events', '-n', 'default', '-o', 'json']);
    const events = (JSON.parse(out) as { items: CoreEvent[] }).items.filter((e) => e.involvedObject.name === 'noisy');
    assert.equal(events.length, 1, 'repeats patch the same Event');
    const e3 = events[0]!;
    assert.equal(e3.metadata.name, e1.metadata.name);
    assert.equal(e3.count, 3);
    assert.equal(e3.firstTimestamp, e1.firstTimestamp);
    assert.ok(Date.parse(e3.lastTimestamp!) > Date.parse(e1.lastTimestamp!), `${e3.lastTimestamp} after ${e1.lastTimestamp}`);

    // the event vanished (expired or deleted): the next repeat is created again
    await client.delete(EVENTS, 'default', e1.metadata.name!);
    recorder.event(obj, 'Warning', 'FailedSync', 'could not sync');
    await recorder.flush();
    const again = await client.get<CoreEvent>(EVENTS, 'default', e1.metadata.name!);
    assert.equal(again.count, 4);

    const table = await kubectlOk(server.kubeconfig, ['get', 'events', '-n', 'default']);
    assert.match(table, /FailedSync/);
  } finally {
    await recorder.shutdown();
  }
});

test('recording never blocks and drops beyond the queue bound', async () => {
  const recorder = new EventRecorder(client, { component: 'burst', host: 'h', maxQueued: 3 });
  const ref = { kind: 'ConfigMap', namespace: 'default', name: 'burst-target', apiVersion: 'v1' };
  for (let i = 0; i < 10; i++) recorder.event(ref, 'Normal', 'Burst', `m${i}`);
  await recorder.shutdown();
  const events = (await client.list<CoreEvent>(EVENTS, 'default')).items.filter((e) => e.involvedObject.name === 'burst-target');
  // one taken by the writer at once plus at most maxQueued waiting
  assert.ok(events.length >= 1 && events.length <= 4, `wrote ${events.length}`);
});

test('two components writing about one object in the same millisecond both keep their event (kubectl sees both)', async () => {
  // A controller and a node agent reacting to the same change (the PV controller's ExternalProvisioning and the node's
  // Provisioning) stamp their events in the same millisecond; with millisecond names the second create was refused.
  const sameMs = { now: () => 1_800_000_000_123 };
  const controller = new EventRecorder(client, { component: 'persistentvolume-controller', host: 'h1', clock: sameMs });
  const agent = new EventRecorder(client, { component: 'k8ts.io/local-path_node-b', host: 'node-b', clock: sameMs });
  const ref = { kind: 'PersistentVolumeClaim', namespace: 'default', name: 'same-ms', apiVersion: 'v1', uid: 'u-same-ms' };
  try {
    for (let i = 0; i < 20; i++) {
      controller.event(ref, 'Normal', 'ExternalProvisioning', `waiting ${i}`);
      agent.event(ref, 'Normal', 'Provisioning', `provisioning ${i}`);
    }
    await Promise.all([controller.flush(), agent.flush()]);
  } finally {
    await Promise.all([controller.shutdown(), agent.shutdown()]);
  }
  const out = await kubectlOk(server.kubeconfig, ['get', 'events', '-n', 'default', '--field-selector', 'involvedObject.name=same-ms', '-o', 'json']);
  const events = (JSON.parse(out) as { items: CoreEvent[] }).items;
  const by = (reason: string): number => events.filter((e) => e.reason === reason).length;
  // The aggregator folds more than 10 similar events into one "combined" event, so each side keeps 11 at most.
  assert.equal(by('ExternalProvisioning'), by('Provisioning'), events.map((e) => `${e.reason} ${e.metadata.name}`).join('\n'));
  assert.ok(by('Provisioning') >= 10, `${by('Provisioning')} Provisioning events`);
  assert.equal(new Set(events.map((e) => e.metadata.name)).size, events.length);
});
