import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, eventually, listPods, type Harness } from './harness.js';
import { replicaSetController } from '../../../src/controllers/replicaset/controller.js';
import { deploymentController } from '../../../src/controllers/deployment/controller.js';
import { disruptionController } from '../../../src/controllers/disruption/controller.js';
import { startScheduler, type RunningScheduler } from '../../../src/cmd/scheduler.js';
import { HollowCluster } from '../../../src/hollow/harness.js';
import { loadKubeconfig } from '../../../src/client/kubeconfig.js';
import { PODDISRUPTIONBUDGETS, PODS } from '../../../src/controllers/shared/resources.js';
import { isPodReady } from '../../../src/controllers/shared/pod-utils.js';
import type { PodDisruptionBudget } from '../../../src/controllers/disruption/types.js';
import type { Pod } from '../../../src/controllers/shared/types.js';

// `kubectl drain` end to end: the real kubectl against our API server, with
// the ReplicaSet, Deployment and disruption controllers, the scheduler, and
// three hollow nodes whose fake runtime makes pods Running and Ready.

const deployment = (name: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: default }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{ name: c, image: busybox, command: ["sleep", "3600"] }]
`;

const pdb = (name: string, minAvailable: number) => `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: ${name}, namespace: default }
spec:
  minAvailable: ${minAvailable}
  selector: { matchLabels: { app: ${name} } }
`;

describe('kubectl drain with PodDisruptionBudgets on hollow nodes', () => {
  let h: Harness;
  let scheduler: RunningScheduler;
  let cluster: HollowCluster;
  let dir: string;
  before(async () => {
    h = await startHarness([replicaSetController, deploymentController, disruptionController]);
    scheduler = await startScheduler({ kubeconfig: h.kubeconfig, leaderElect: false });
    dir = await mkdtemp(join(tmpdir(), 'k8ts-drain-test-'));
    cluster = new HollowCluster({ clientConfig: loadKubeconfig(h.kubeconfig), count: 3, namePrefix: 'drain-', rootDir: dir });
    await cluster.start();
  });
  after(async () => {
    await cluster?.close();
    await scheduler?.stop();
    await h?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const live = async (app: string): Promise<Pod[]> => (await listPods(h, 'default', `app=${app}`)).filter((p) => !p.metadata.deletionTimestamp);
  const readyOn = async (app: string, n: number, node?: string) =>
    eventually(`${n} ${app} pods ready${node ? ' on ' + node : ''}`, async () => {
      const ps = (await live(app)).filter((p) => isPodReady(p) && (!node || p.spec?.nodeName === node));
      return ps.length === n && ps;
    });
  const pdbAllows = (name: string, n: number) =>
    eventually(`${name} allows ${n}`, async () => (await h.client.get<PodDisruptionBudget>(PODDISRUPTIONBUDGETS, 'default', name)).status?.disruptionsAllowed === n);

  test('drain of a node with 3 pods under minAvailable 2 evicts one at a time and finishes', async () => {
    for (const n of ['drain-0', 'drain-1', 'drain-2']) await eventually(`node ${n}`, async () => (await h.kRaw(['get', 'node', n])).code === 0);
    assert.match(await h.k(['cordon', 'drain-1']), /node\/drain-1 cordoned/);
    await h.k(['cordon', 'drain-2']);
    await h.k(['apply', '-f', '-'], deployment('web', 3));
    await readyOn('web', 3, 'drain-0');
    assert.match(await h.k(['uncordon', 'drain-1']), /node\/drain-1 uncordoned/);
    await h.k(['uncordon', 'drain-2']);
    await h.k(['apply', '-f', '-'], pdb('web', 2));
    await pdbAllows('web', 1);

    // Watch the budget from the side: never fewer than two web pods Ready.
    let minReady = 3;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const ready = (await live('web').catch(() => undefined))?.filter(isPodReady).length;
        if (ready !== undefined) minReady = Math.min(minReady, ready);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const r = await h.kRaw(['drain', 'drain-0', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=240s']);
    sampling = false;
    await sampler;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /node\/drain-0 cordoned/);
    assert.match(r.stdout, /evicting pod default\/web-/);
    assert.equal((r.stdout.match(/pod\/web-\S+ evicted/g) ?? []).length, 3, r.stdout);
    assert.match(r.stdout, /node\/drain-0 drained/);
    // Three evictions asked at once against a budget of one: the others were told to wait.
    assert.match(r.stderr, /error when evicting pods\/"web-\S+" -n "default" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./);
    assert.ok(minReady >= 2, `only ${minReady} web pods were Ready at one point`);
    const after = await readyOn('web', 3);
    assert.ok(after.every((p) => p.spec?.nodeName !== 'drain-0'));
    assert.match(await h.k(['get', 'node', 'drain-0']), /Ready,SchedulingDisabled/);
  });

  test('pods without a controller need --force', async () => {
    await h.client.create<Pod>(PODS, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bare', namespace: 'default' },
      spec: { nodeName: 'drain-0', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox' }] },
    });
    const refused = await h.kRaw(['drain', 'drain-0', '--ignore-daemonsets', '--timeout=60s']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /cannot delete Pods that declare no controller \(use --force to override\): default\/bare/);
    const forced = await h.kRaw(['drain', 'drain-0', '--ignore-daemonsets', '--force', '--timeout=60s']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /Warning: deleting Pods that declare no controller: default\/bare/);
    assert.match(forced.stdout, /pod\/bare evicted/);
  });

  test('a budget that cannot be met blocks the drain until the timeout', async () => {
    await h.k(['apply', '-f', '-'], deployment('solo', 1));
    const [solo] = await readyOn('solo', 1);
    await h.k(['apply', '-f', '-'], pdb('solo', 1));
    await eventually('solo budget counted', async () => (await h.client.get<PodDisruptionBudget>(PODDISRUPTIONBUDGETS, 'default', 'solo')).status?.currentHealthy === 1);
    const node = solo!.spec!.nodeName!;
    const r = await h.kRaw(['drain', node, '--ignore-daemonsets', '--timeout=12s']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`error when evicting pods/"${solo!.metadata.name}" -n "default" \\(will retry after 5s\\): Cannot evict pod as it would violate the pod's disruption budget\\.`));
    assert.match(r.stderr, /global timeout reached: 12s/);
    // Still there, still Ready.
    assert.ok((await live('solo')).some((p) => p.metadata.uid === solo!.metadata.uid && isPodReady(p)));
    await h.k(['uncordon', node]);
  });
});
