// removeAllPods over the real dockerd, as `k8ts agent --uninstall` runs it:
// two pods of this node (one with a container that ignores SIGTERM, one with
// an exited container beside a running one) all go, containers and pause
// containers alike, and a pod of another node on the same dockerd stays.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { removeAllPods } from '../../../src/runtime/remove-all.js';
import { dockerSkip } from '../../helpers/images.js';
import { setupFixture, type Fixture } from './fixture.js';

const skip = await dockerSkip();

describe('docker runtime: removeAllPods', { skip }, () => {
  let mine: Fixture;
  let other: Fixture;

  before(async () => {
    [mine, other] = await Promise.all([setupFixture('rmall'), setupFixture('rmother')]);
  });
  after(async () => {
    await Promise.allSettled([mine?.cleanup(), other?.cleanup()]);
  });

  test('stops and removes every pod of the node, and only those', async () => {
    const start = async (fx: Fixture, pod: string, containers: [string, string[]][]): Promise<void> => {
      const sandbox = fx.sandboxConfig(pod);
      const id = await fx.runtime.runPodSandbox(sandbox);
      for (const [name, command] of containers) await fx.runtime.startContainer(await fx.runtime.createContainer(id, fx.containerConfig(name, command), sandbox));
    };
    await start(mine, 'stubborn', [['trap', ['sh', '-c', 'trap "" TERM; while true; do sleep 1; done']]]);
    await start(mine, 'mixed', [['done', ['true']], ['runs', ['sleep', '3600']]]);
    await start(other, 'neighbour', [['runs', ['sleep', '3600']]]);

    const r = await removeAllPods(mine.runtime, 1);
    assert.deepEqual(r, { sandboxes: 2, containers: 3, failures: [] });
    assert.deepEqual(await mine.leftovers(), [], 'nothing of this node is left on dockerd');
    assert.deepEqual(await mine.runtime.listPodSandboxes(), []);
    const neighbour = await other.runtime.listPodSandboxes();
    assert.deepEqual(neighbour.map((s) => [s.metadata.name, s.state]), [['neighbour', 'SANDBOX_READY']]);
    assert.equal((await other.runtime.listContainers()).filter((c) => c.state === 'CONTAINER_RUNNING').length, 1);
  });
});
