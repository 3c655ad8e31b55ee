import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestClient } from '../../src/client/rest.js';
import { EventRecorder, referenceTo } from '../../src/client/events/recorder.js';
import { FakeApiServer, json, status } from './fake-apiserver.js';
import type { CoreEvent } from '../../src/client/events/types.js';

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'prod', uid: 'u-1', resourceVersion: '7' } };

test('first occurrence is created, repeats are strategic-merge patches, a vanished event is re-created', async (t) => {
  const fake = await new FakeApiServer().start();
  const client = new RestClient(fake.config());
  const recorder = new EventRecorder(client, { component: 'kubelet', host: 'node-a' });
  t.after(async () => {
    await recorder.shutdown();
    client.close();
    await fake.close();
  });
  let patchMissing = false;
  fake.on((r, res) => {
    const body = r.body ? (JSON.parse(r.body) as CoreEvent) : undefined;
    if (r.method === 'POST') return json(res, 201, { ...body, metadata: { ...body!.metadata, resourceVersion: '100' } });
    if (r.method === 'PATCH') {
      if (patchMissing) return json(res, 404, status(404, 'NotFound', 'events "x" not found'));
      return json(res, 200, { metadata: { name: r.url.split('/').pop(), namespace: 'prod', resourceVersion: '101' }, involvedObject: referenceTo(pod), ...body });
    }
    return false;
  });

  recorder.event(pod, 'Normal', 'Pulled', 'image pulled');
  await recorder.flush();
  const create = fake.requests[0]!;
  assert.equal(create.method, 'POST');
  assert.equal(create.url, '/api/v1/namespaces/prod/events');
  const ev = JSON.parse(create.body) as CoreEvent;
  assert.match(ev.metadata.name!, /^web\.[0-9a-f]{15,}$/);
  assert.deepEqual(ev.involvedObject, { kind: 'Pod', namespace: 'prod', name: 'web', uid: 'u-1', apiVersion: 'v1', resourceVersion: '7' });
  assert.deepEqual(ev.source, { component: 'kubelet', host: 'node-a' });
  assert.equal(ev.count, 1);
  assert.equal(ev.type, 'Normal');
  assert.equal(ev.reportingComponent, 'kubelet');
  assert.equal(ev.reportingInstance, 'node-a');
  assert.equal(ev.firstTimestamp, ev.lastTimestamp);
  assert.match(ev.firstTimestamp!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

  recorder.eventf(pod, 'Normal', 'Pulled', 'image %s', 'pulled');
  await recorder.flush();
  const patch = fake.requests[1]!;
  assert.equal(patch.method, 'PATCH');
  assert.equal(patch.url, `/api/v1/namespaces/prod/events/${ev.metadata.name}`);
  assert.equal(patch.headers['content-type'], 'application/strategic-merge-patch+json');
  const body = JSON.parse(patch.body) as { count: number; message: string; lastTimestamp: string };
  assert.equal(body.count, 2);
  assert.equal(body.message, 'image pulled');
  assert.ok(body.lastTimestamp);

  patchMissing = true;
  recorder.event(pod, 'Normal', 'Pulled', 'image pulled');
  await recorder.flush();
  const [, , failedPatch, recreate] = fake.requests;
  assert.equal(failedPatch!.method, 'PATCH');
  assert.equal(recreate!.method, 'POST');
  const again = JSON.parse(recreate!.body) as CoreEvent;
  assert.equal(again.metadata.name, ev.metadata.name);
  assert.equal(again.count, 3);
  assert.equal(again.metadata.resourceVersion, undefined);
});

test('cluster-scoped objects get events in "default"; bad input is dropped without throwing', async (t) => {
  const fake = await new FakeApiServer().start();
  const client = new RestClient(fake.config());
  const recorder = new EventRecorder(client, { component: 'c', host: 'h' });
  t.after(async () => {
    await recorder.shutdown();
    client.close();
    await fake.close();
  });
  fake.on((r, res) => json(res, 201, JSON.parse(r.body)));
  recorder.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'x' } }, 'Warning', 'NodeNotReady', 'down');
  recorder.event({ metadata: { name: 'no-kind' } }, 'Normal', 'X', 'y');
  recorder.event(pod, 'Bogus' as 'Normal', 'X', 'y');
  await recorder.flush();
  assert.equal(fake.requests.length, 1);
  assert.equal(fake.requests[0]!.url, '/api/v1/namespaces/default/events');
});

test('connection failures are retried; a full queue drops events instead of blocking', async (t) => {
  const fake = await new FakeApiServer().start();
  const client = new RestClient(fake.config());
  const recorder = new EventRecorder(client, { component: 'c', host: 'h', retryDelayMs: 1, maxQueued: 2 });
  t.after(async () => {
    await recorder.shutdown();
    client.close();
    await fake.close();
  });
  let n = 0;
  fake.on((r, res) => {
    if (++n <= 2) {
      res.socket?.destroy();
      return;
    }
    json(res, 201, JSON.parse(r.body));
  });
  for (let i = 0; i < 5; i++) recorder.event(pod, 'Normal', 'R', `m${i}`);
  await recorder.flush();
  const created = fake.requests.filter((r) => r.method === 'POST').length;
  assert.equal(n, created);
  const messages = new Set(fake.requests.map((r) => (JSON.parse(r.body) as CoreEvent).message));
  // m0 is taken by the writer at once; m1 and m2 fill the queue; m3 and m4 are dropped
  assert.deepEqual([...messages].sort(), ['m0', 'm1', 'm2']);
});
