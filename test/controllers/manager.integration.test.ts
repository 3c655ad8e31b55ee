import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { RestClient } from '../../src/client/rest.js';
import { startControllerManager, defaultControllerManagerOptions } from '../../src/controllers/manager.js';
import { serviceAccountController } from '../../src/controllers/serviceaccount/controller.js';
import { resourceFor } from '../../src/api/scheme/resources.js';
import type { ControllerDescriptor } from '../../src/controllers/types.js';
import type { Lease } from '../../src/client/leaderelection.js';
import { until, getOrUndefined } from './helpers.js';

const LEASES = resourceFor('coordination.k8s.io', 'v1', 'leases')!;
const NAMESPACES = resourceFor('', 'v1', 'namespaces')!;
const SERVICEACCOUNTS = resourceFor('', 'v1', 'serviceaccounts')!;

let server: TestServer;
let client: RestClient;

before(async () => {
  server = await startTestServer();
  client = RestClient.fromKubeconfig(server.kubeconfig, { component: 'manager-test' });
});

after(async () => {
  client.close();
  await server.close();
});

/** A controller that only records who runs it. */
function probe(log: string[]): ControllerDescriptor {
  return {
    name: 'probe',
    async start(ctx) {
      const who = ctx.options.extra.who!;
      log.push(`${who} start`);
      return { stop: async () => void log.push(`${who} stop`) };
    },
  };
}

// Short lease timings keep the test quick; correctness does not depend on them.
const timings = { leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 200 };

function manager(identity: string, log: string[], releaseOnCancel = true) {
  const options = defaultControllerManagerOptions();
  options.extra.who = identity;
  return startControllerManager({ client, identity, registry: [probe(log), serviceAccountController], options, ...timings, releaseOnCancel });
}

const holder = async (): Promise<string | undefined> => (await getOrUndefined(() => client.get<Lease>(LEASES, 'kube-system', 'kube-controller-manager')))?.spec?.holderIdentity;

test('only the leader runs controllers; a successor takes over on release and after a crash', async () => {
  const log: string[] = [];
  const a = await manager('cm-a', log);
  await until(() => a.isLeader(), 'cm-a leads');
  // cm-b will be "killed": it stops without releasing the lease.
  const b = await manager('cm-b', log, false);
  assert.equal(await until(holder, 'lease holder'), 'cm-a');
  assert.deepEqual(a.runningControllers().sort(), ['probe', 'serviceaccount']);
  assert.equal(b.isLeader(), false);
  assert.deepEqual(b.runningControllers(), []);

  // The leader's controllers act: a new namespace gets its default ServiceAccount.
  await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'le-one' } });
  await until(() => getOrUndefined(() => client.get(SERVICEACCOUNTS, 'le-one', 'default')), 'default SA from cm-a');

  // Graceful stop: controllers stop before the lease is released, and cm-b takes over.
  await a.stop();
  assert.deepEqual(log.slice(0, 2), ['cm-a start', 'cm-a stop']);
  await until(() => b.isLeader(), 'cm-b leads');
  assert.equal(await holder(), 'cm-b');
  await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'le-two' } });
  await until(() => getOrUndefined(() => client.get(SERVICEACCOUNTS, 'le-two', 'default')), 'default SA from cm-b');

  // A crash (lease not released): cm-c waits out the lease, then leads.
  const c2 = await manager('cm-c', log);
  await b.stop();
  assert.equal(await holder(), 'cm-b', 'a crashed leader leaves the lease held');
  await until(() => c2.isLeader(), 'cm-c leads');
  assert.equal(await holder(), 'cm-c');
  await c2.stop();
  assert.deepEqual(log, ['cm-a start', 'cm-a stop', 'cm-b start', 'cm-b stop', 'cm-c start', 'cm-c stop']);
});
