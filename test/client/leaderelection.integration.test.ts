import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { RestClient } from '../../src/client/rest.js';
import { LeaderElector, LEASES, type Lease } from '../../src/client/leaderelection.js';
import { until } from './fake-apiserver.js';

let server: TestServer;
let client: RestClient;

before(async () => {
  server = await startTestServer();
  client = RestClient.fromKubeconfig(server.kubeconfig, { component: 'le-test' });
});

after(async () => {
  client.close();
  await server.close();
});

const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

test('two electors: one leads, the other takes over when it stops', async () => {
  const log: string[] = [];
  const make = (id: string) =>
    new LeaderElector(client, {
      namespace: 'default',
      name: 'test-lock',
      identity: id,
      // short periods keep the test quick; correctness does not depend on them
      leaseDurationMs: 3000,
      renewDeadlineMs: 2000,
      retryPeriodMs: 200,
      callbacks: {
        onStartedLeading: () => void log.push(`${id} started`),
        onStoppedLeading: () => void log.push(`${id} stopped`),
        onNewLeader: (leader) => void log.push(`${id} sees ${leader}`),
      },
    });
  const one = make('one');
  const two = make('two');
  const runOne = one.run();
  await until(() => one.isLeader());
  const runTwo = two.run();
  await until(() => two.getLeader() === 'one');
  assert.equal(two.isLeader(), false);

  const lease = await client.get<Lease>(LEASES, 'default', 'test-lock');
  assert.equal(lease.spec?.holderIdentity, 'one');
  assert.equal(lease.spec?.leaseDurationSeconds, 3);
  assert.match(lease.spec!.renewTime!, MICRO);
  assert.match(lease.spec!.acquireTime!, MICRO);
  assert.equal(lease.spec?.leaseTransitions, 0);

  await one.stop();
  await runOne;
  assert.equal(one.isLeader(), false);
  await until(() => two.isLeader());
  const taken = await client.get<Lease>(LEASES, 'default', 'test-lock');
  assert.equal(taken.spec?.holderIdentity, 'two');
  assert.equal(taken.spec?.leaseTransitions, 1);

  await two.stop();
  await runTwo;
  const released = await client.get<Lease>(LEASES, 'default', 'test-lock');
  assert.ok(!released.spec?.holderIdentity, 'released on stop');

  assert.ok(log.includes('one started'));
  assert.ok(log.includes('two sees one'));
  assert.ok(log.indexOf('one stopped') < log.indexOf('two started'));
  assert.ok(log.includes('two stopped'));
});
