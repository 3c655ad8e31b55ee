import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestClient } from '../../src/client/rest.js';
import { LeaderElector, type Lease } from '../../src/client/leaderelection.js';
import { FakeApiServer, json, status, until } from './fake-apiserver.js';

/** Leases with optimistic concurrency, as the API server keeps them. */
function serveLeases(fake: FakeApiServer): Map<string, Lease> {
  const leases = new Map<string, Lease>();
  let rv = 1;
  fake.on((r, res) => {
    const m = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/?]+))?/.exec(r.url);
    if (!m) return false;
    const name = m[2];
    const body = r.body ? (JSON.parse(r.body) as Lease) : undefined;
    if (r.method === 'GET') {
      const l = leases.get(name!);
      return l ? json(res, 200, l) : json(res, 404, status(404, 'NotFound', `leases.coordination.k8s.io "${name}" not found`));
    }
    if (r.method === 'POST') {
      if (leases.has(body!.metadata.name!)) return json(res, 409, status(409, 'AlreadyExists', 'exists'));
      const l = { ...body!, metadata: { ...body!.metadata, resourceVersion: String(++rv) } };
      leases.set(l.metadata.name!, l);
      return json(res, 201, l);
    }
    if (r.method === 'PUT') {
      const cur = leases.get(name!);
      if (!cur || cur.metadata.resourceVersion !== body!.metadata.resourceVersion) return json(res, 409, status(409, 'Conflict', 'the object has been modified'));
      const l = { ...body!, metadata: { ...body!.metadata, resourceVersion: String(++rv) } };
      leases.set(name!, l);
      return json(res, 200, l);
    }
    return false;
  });
  return leases;
}

const fast = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100 };

test('one of two candidates leads; the other takes over after release', async (t) => {
  const fake = await new FakeApiServer().start();
  const client = new RestClient(fake.config());
  const leases = serveLeases(fake);
  const log: string[] = [];
  const make = (id: string) =>
    new LeaderElector(client, {
      namespace: 'kube-system',
      name: 'lock',
      identity: id,
      ...fast,
      callbacks: {
        onStartedLeading: (signal) => {
          log.push(`${id} started`);
          signal.addEventListener('abort', () => log.push(`${id} signal aborted`));
        },
        onStoppedLeading: () => log.push(`${id} stopped`),
        onNewLeader: (l) => log.push(`${id} sees ${l}`),
      },
    });
  const a = make('a');
  const b = make('b');
  t.after(async () => {
    await a.stop();
    await b.stop();
    client.close();
    await fake.close();
  });
  const runA = a.run();
  await until(() => a.isLeader());
  const runB = b.run();
  await until(() => b.getLeader() === 'a');
  assert.equal(b.isLeader(), false);
  assert.equal(leases.get('lock')!.spec!.leaseTransitions, 0);
  assert.match(leases.get('lock')!.spec!.renewTime!, /\.\d{6}Z$/);

  await a.stop();
  await runA;
  await until(() => b.isLeader());
  assert.equal(leases.get('lock')!.spec!.holderIdentity, 'b');
  assert.equal(leases.get('lock')!.spec!.leaseTransitions, 1);
  await b.stop();
  await runB;
  assert.equal(leases.get('lock')!.spec!.holderIdentity, '');
  assert.deepEqual(
    log.filter((l) => l.startsWith('a ')),
    ['a sees a', 'a started', 'a signal aborted', 'a stopped'],
  );
  assert.ok(log.includes('b sees a') && log.includes('b started') && log.includes('b stopped'));
});

test('an unreleased lease is taken over only after it expires, judged by the observer', async (t) => {
  const fake = await new FakeApiServer().start();
  const client = new RestClient(fake.config());
  const leases = serveLeases(fake);
  // A holder that vanished without releasing: its renewTime is in the far future, which must not matter.
  leases.set('lock', {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'lock', namespace: 'ns', resourceVersion: '1' },
    spec: { holderIdentity: 'ghost', leaseDurationSeconds: 1, renewTime: '2999-01-01T00:00:00.000000Z', acquireTime: '2999-01-01T00:00:00.000000Z', leaseTransitions: 4 },
  });
  let lost = false;
  const e = new LeaderElector(client, { namespace: 'ns', name: 'lock', identity: 'me', leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100, callbacks: { onStartedLeading: () => undefined, onStoppedLeading: () => (lost = true) } });
  t.after(async () => {
    await e.stop();
    client.close();
    await fake.close();
  });
  const run = e.run();
  await until(() => e.getLeader() === 'ghost');
  await until(() => e.isLeader());
  assert.equal(leases.get('lock')!.spec!.leaseTransitions, 5);

  // someone else steals the lease; renewals fail with conflicts and leadership is lost
  const cur = leases.get('lock')!;
  leases.set('lock', { ...cur, metadata: { ...cur.metadata, resourceVersion: '999999' }, spec: { ...cur.spec, holderIdentity: 'thief', leaseDurationSeconds: 3600 } });
  await run;
  assert.equal(e.isLeader(), false);
  assert.equal(lost, true);
});

test('config is validated as upstream', () => {
  const client = new RestClient({ server: 'http://127.0.0.1:1', namespace: 'default' });
  const cb = { onStartedLeading: () => undefined };
  assert.throws(() => new LeaderElector(client, { namespace: 'a', name: 'b', identity: 'c', leaseDurationMs: 10, renewDeadlineMs: 10, callbacks: cb }), /leaseDuration/);
  assert.throws(() => new LeaderElector(client, { namespace: 'a', name: 'b', identity: 'c', renewDeadlineMs: 2000, retryPeriodMs: 2000, callbacks: cb }), /renewDeadline/);
  client.close();
});

test('a renewal that hangs does not extend leadership: the leader steps down at its renew deadline', async (t) => {
  const fake = await new FakeApiServer().start();
  // Registered first: while `hang` is set, lease requests get no answer (an API server cut off from etcd).
  let hang = false;
  const hung: import('node:http').ServerResponse[] = [];
  fake.on((_r, res) => {
    if (!hang) return false;
    hung.push(res);
    return true;
  });
  const client = new RestClient(fake.config());
  serveLeases(fake);
  let aborted = false;
  const a = new LeaderElector(client, {
    namespace: 'kube-system',
    name: 'lock',
    identity: 'a',
    ...fast,
    callbacks: { onStartedLeading: (signal) => signal.addEventListener('abort', () => (aborted = true)) },
  });
  t.after(async () => {
    hang = false;
    for (const res of hung) res.destroy();
    await a.stop();
    client.close();
    await fake.close();
  });
  void a.run();
  await until(() => a.isLeader() && a.holdsLease());
  hang = true;
  await until(() => aborted);
  assert.ok(hung.length > 0, 'a renewal was still unanswered when leadership ended');
  assert.equal(a.holdsLease(), false);
  assert.equal(a.isLeader(), false);
});
