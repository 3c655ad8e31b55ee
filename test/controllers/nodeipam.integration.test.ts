// The node-ipam-controller against a real API server, driven with kubectl:
// every Node gets its own subnet of --cluster-cidr, a subnet a node brings
// along is never handed out again, a full range says CIDRNotAvailable, a
// deleted Node's subnet goes to the node that waited for one, and a
// restarted controller rebuilds what is taken from the Nodes themselves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/apiserver.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { RestClient } from '../../src/client/rest.js';
import { startControllerManager, type RunningControllerManager } from '../../src/controllers/manager.js';
import { fastOptions, until } from './helpers.js';
import { CidrSet, CidrSetFullError } from '../../src/controllers/nodeipam/cidrset.js';

let server: TestServer;
let client: RestClient;
let cm: RunningControllerManager | undefined;

const ipam = fastOptions({}, { 'allocate-node-cidrs': 'true', 'cluster-cidr': '10.250.0.0/22', 'node-cidr-mask-size': '24' });
const startCm = async (): Promise<RunningControllerManager> => startControllerManager({ client, options: ipam, controllers: ['nodeipam'], leaderElect: false });

before(async () => {
  server = await startTestServer();
  client = RestClient.fromKubeconfig(server.kubeconfig, { component: 'nodeipam-test' });
  cm = await startCm();
});

after(async () => {
  await cm?.stop();
  client.close();
  await server.close();
});

const node = (name: string, podCIDR?: string): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name }, ...(podCIDR ? { spec: { podCIDR, podCIDRs: [podCIDR] } } : {}) });

async function podCIDRs(): Promise<Map<string, string>> {
  const out = await kubectlOk(server.kubeconfig, ['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.podCIDRs[*]}{"\\n"}{end}']);
  return new Map(out.split('\n').filter(Boolean).map((l) => l.split('=') as [string, string]));
}

test('cidr set: subnets in order, rotating past a freed one, refused when full or foreign', () => {
  const s = new CidrSet('10.1.0.0/23', 24);
  assert.equal(s.allocateNext(), '10.1.0.0/24');
  assert.equal(s.allocateNext(), '10.1.1.0/24');
  assert.throws(() => s.allocateNext(), CidrSetFullError);
  s.release('10.1.0.0/24');
  assert.equal(s.allocateNext(), '10.1.0.0/24');
  assert.throws(() => s.occupy('10.2.0.0/24'), /not a \/24 subnet of the cluster CIDR/);
  assert.throws(() => new CidrSet('10.0.0.0/8', 26), /more than 2\^16 subnets/);
  assert.throws(() => new CidrSet('10.0.0.0/16', 8), /must lie between/);
});

test('each node gets its own podCIDR once; a full range says CIDRNotAvailable; a deleted node frees its subnet', async () => {
  // A node registered with a subnet of its own keeps it, and nobody else gets it.
  await kubectlOk(server.kubeconfig, ['create', '-f', '-'], { input: node('ipam-own', '10.250.1.0/24') });
  for (const n of ['ipam-a', 'ipam-b', 'ipam-c']) await kubectlOk(server.kubeconfig, ['create', '-f', '-'], { input: node(n) });
  const got = await until(async () => {
    const m = await podCIDRs();
    return ['ipam-a', 'ipam-b', 'ipam-c'].every((n) => m.get(n)) ? m : undefined;
  }, 'three nodes with podCIDRs');
  assert.equal(got.get('ipam-own'), '10.250.1.0/24');
  assert.deepEqual([...got.values()].sort(), ['10.250.0.0/24', '10.250.1.0/24', '10.250.2.0/24', '10.250.3.0/24']);
  assert.equal((await kubectlOk(server.kubeconfig, ['get', 'node', 'ipam-a', '-o', 'jsonpath={.spec.podCIDR}'])), got.get('ipam-a'));

  // The range is full: the fifth node waits, with upstream's event.
  await kubectlOk(server.kubeconfig, ['create', '-f', '-'], { input: node('ipam-late') });
  const events = await until(async () => {
    const out = await kubectlOk(server.kubeconfig, ['get', 'events', '-A', '--field-selector', 'involvedObject.name=ipam-late', '-o', 'jsonpath={range .items[*]}{.reason}|{.source.component}|{.message}{"\\n"}{end}']);
    return out.includes('CIDRNotAvailable') ? out : undefined;
  }, 'CIDRNotAvailable event');
  assert.match(events, /^CIDRNotAvailable\|cidrAllocator\|Node ipam-late status is now: CIDRNotAvailable$/m);
  assert.equal((await podCIDRs()).get('ipam-late'), '');

  // Deleting a node frees its subnet for the node that waited.
  const freed = got.get('ipam-b')!;
  await kubectlOk(server.kubeconfig, ['delete', 'node', 'ipam-b']);
  const late = await until(async () => (await podCIDRs()).get('ipam-late') || undefined, 'the waiting node gets the freed subnet');
  assert.equal(late, freed);
  // podCIDR is set once: the API refuses to change it.
  const r = await kubectl(server.kubeconfig, ['patch', 'node', 'ipam-late', '-p', JSON.stringify({ spec: { podCIDR: '10.250.9.0/24', podCIDRs: ['10.250.9.0/24'] } })]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /may not change podCIDR/);
});

test('a restarted controller rebuilds the taken subnets from the Nodes and never hands one out twice', async () => {
  await cm!.stop();
  cm = undefined;
  await kubectlOk(server.kubeconfig, ['delete', 'node', 'ipam-a']);
  const before = await podCIDRs();
  cm = await startCm();
  await kubectlOk(server.kubeconfig, ['create', '-f', '-'], { input: node('ipam-d') });
  const after = await until(async () => {
    const m = await podCIDRs();
    return m.get('ipam-d') ? m : undefined;
  }, 'a podCIDR for the node created after the restart');
  for (const [n, c] of before) assert.equal(after.get(n), c, `${n} keeps its subnet`);
  const all = [...after.values()];
  assert.equal(new Set(all).size, all.length, `no subnet twice: ${all.join(' ')}`);
});
