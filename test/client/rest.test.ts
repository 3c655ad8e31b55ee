import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestClient } from '../../src/client/rest.js';
import { StatusError } from '../../src/api/errors.js';
import { FakeApiServer, json, status, cm, until } from './fake-apiserver.js';
import type { WatchEventObject } from '../../src/api/types.js';

const CM = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };

test('requests carry user agent, auth, content types and query options', async (t) => {
  const fake = await new FakeApiServer().start();
  const client = new RestClient(fake.config({ token: 'secret' }), { component: 'scheduler' });
  t.after(async () => {
    client.close();
    await fake.close();
  });
  fake.on((r, res) => json(res, 200, r.method === 'GET' && r.url.startsWith('/api/v1/namespaces/default/configmaps?') ? { kind: 'ConfigMapList', apiVersion: 'v1', metadata: {}, items: [] } : cm('a', '1')));

  await client.list(CM, 'default', { labelSelector: 'app=x', limit: 5, resourceVersion: '0', resourceVersionMatch: 'NotOlderThan' });
  await client.patch(CM, 'default', 'a', 'merge', { data: { k: 'v' } });
  await client.patch(CM, 'default', 'a', 'apply', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }, { fieldManager: 'me', force: true });
  await client.delete(CM, 'default', 'a', { propagationPolicy: 'Foreground', preconditions: { resourceVersion: '1' } });
  await client.createSubresource({ group: '', version: 'v1', resource: 'pods', namespaced: true }, 'default', 'p', 'binding', { target: { kind: 'Node', name: 'n1' } });

  const [list, merge, apply, del, bind] = fake.requests;
  assert.equal(list!.headers['user-agent'], 'k8ts/scheduler');
  assert.equal(list!.headers.authorization, 'Bearer secret');
  assert.equal(list!.url, '/api/v1/namespaces/default/configmaps?labelSelector=app%3Dx&limit=5&resourceVersion=0&resourceVersionMatch=NotOlderThan');
  assert.equal(merge!.headers['content-type'], 'application/merge-patch+json');
  assert.equal(apply!.headers['content-type'], 'application/apply-patch+yaml');
  assert.equal(apply!.url, '/api/v1/namespaces/default/configmaps/a?fieldManager=me&force=true');
  assert.equal(del!.method, 'DELETE');
  assert.deepEqual(JSON.parse(del!.body), { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground', preconditions: { resourceVersion: '1' } });
  assert.equal(bind!.url, '/api/v1/namespaces/default/pods/p/binding');
  assert.throws(() => client.patch(CM, 'default', 'a', 'apply', {}), /fieldManager/);
});

test('a Status response becomes a StatusError with code, reason, message', async (t) => {
  const fake = await new FakeApiServer().start();
  const client = new RestClient(fake.config());
  t.after(async () => {
    client.close();
    await fake.close();
  });
  fake.on((_r, res) => json(res, 409, status(409, 'Conflict', 'Operation cannot be fulfilled on configmaps "a": the object has been modified')));
  await assert.rejects(client.update(CM, 'default', cm('a', '1')), (e: unknown) => {
    assert.ok(e instanceof StatusError);
    assert.equal(e.code, 409);
    assert.equal(e.reason, 'Conflict');
    assert.match(e.message, /has been modified/);
    return true;
  });
});

test('429 with Retry-After is retried; connection failures are retried for GET only', async (t) => {
  const fake = await new FakeApiServer().start();
  const client = new RestClient(fake.config(), { maxRetries: 3 });
  t.after(async () => {
    client.close();
    await fake.close();
  });
  let n = 0;
  fake.on((r, res) => {
    n++;
    if (r.url.includes('throttled') && n === 1) {
      res.writeHead(429, { 'Retry-After': '1', 'Content-Type': 'application/json' }).end(JSON.stringify(status(429, 'TooManyRequests', 'slow down')));
      return;
    }
    if ((r.url.includes('flaky') || r.body.includes('flaky')) && n <= 2) {
      res.socket?.destroy();
      return;
    }
    json(res, 200, cm('x', '1'));
  });
  const got = await client.get(CM, 'default', 'throttled');
  assert.equal(got.metadata.name, 'x');
  assert.equal(n, 2);

  n = 0;
  await client.get(CM, 'default', 'flaky');
  assert.equal(n, 3);

  // A fresh connection (not a reused keep-alive socket the server may have
  // closed while idle): the POST may have reached the server, so no re-send.
  const fresh = new RestClient(fake.config(), { maxRetries: 3 });
  n = 0;
  await assert.rejects(fresh.create(CM, 'default', cm('flaky', '')));
  assert.equal(n, 1, 'a POST that may have reached the server is not re-sent');
  fresh.close();
});

test('watch parses events across chunk boundaries and surfaces ERROR 410 as StatusError', async (t) => {
  const fake = await new FakeApiServer().start();
  const client = new RestClient(fake.config());
  t.after(async () => {
    client.close();
    await fake.close();
  });
  fake.on((r, res) => {
    if (!r.url.includes('watch=true')) return false;
    fake.openWatch(res);
    const a = JSON.stringify({ type: 'ADDED', object: cm('a', '5', { greeting: 'grüß' }) }) + '\n';
    const b = JSON.stringify({ type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: '6' } } }) + '\n';
    const bytes = Buffer.from(a + b);
    // one byte at a time: every boundary, including inside the multi-byte ü
    for (let i = 0; i < bytes.length; i++) res.write(bytes.subarray(i, i + 1));
    return true;
  });
  const events: WatchEventObject[] = [];
  const w = client.watch(CM, 'default', { resourceVersion: '4', allowWatchBookmarks: true, timeoutSeconds: 30 }, (e) => events.push(e));
  await until(() => events.length === 2);
  assert.equal(events[0]!.type, 'ADDED');
  assert.deepEqual(events[0]!.object.data, { greeting: 'grüß' });
  assert.equal(events[1]!.type, 'BOOKMARK');
  const url = fake.requests[0]!.url;
  assert.match(url, /watch=true/);
  assert.match(url, /resourceVersion=4/);
  assert.match(url, /allowWatchBookmarks=true/);
  assert.match(url, /timeoutSeconds=30/);

  fake.send({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version: 4 (10)') });
  await assert.rejects(w.done, (e: unknown) => e instanceof StatusError && e.code === 410 && e.reason === 'Expired');

  const w2 = client.watch(CM, 'default', {}, () => undefined);
  await until(() => fake.watches.size === 1);
  w2.stop();
  await w2.done;
  await until(() => fake.watches.size === 0);

  const w3 = client.watch(CM, 'default', {}, () => undefined);
  await until(() => fake.watches.size === 1);
  fake.endWatches();
  await w3.done;

  const w4 = client.watch(CM, 'default', {}, () => undefined);
  await until(() => fake.watches.size === 1);
  fake.destroyWatches();
  await assert.rejects(w4.done);
});

test('watch request errors reject done with the StatusError', async (t) => {
  const fake = await new FakeApiServer().start();
  const client = new RestClient(fake.config());
  t.after(async () => {
    client.close();
    await fake.close();
  });
  fake.on((_r, res) => json(res, 403, status(403, 'Forbidden', 'no')));
  const w = client.watch(CM, 'default', {}, () => undefined);
  await assert.rejects(w.done, (e: unknown) => e instanceof StatusError && e.code === 403);
});

test('a token file is sent as bearer token and re-read after rotation', async (t) => {
  const fake = await new FakeApiServer().start();
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-tok-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'first');
  const client = new RestClient(fake.config({ tokenFile }));
  t.after(async () => {
    client.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });
  fake.on((_r, res) => json(res, 200, cm('a', '1')));
  await client.get(CM, 'default', 'a');
  assert.equal(fake.requests[0]!.headers.authorization, 'Bearer first');
  writeFileSync(tokenFile, 'second-token');
  await until(async () => {
    await client.get(CM, 'default', 'a');
    return fake.requests.at(-1)!.headers.authorization === 'Bearer second-token';
  }, 200);
});
