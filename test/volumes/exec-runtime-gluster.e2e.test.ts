import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mountGluster } from '../../src/util/gluster.js';
import { unmount } from '../../src/util/mount.js';
import { createVolume, deleteVolume, glusterSkip, hostAddress, mountsUnder, startGlusterd, stopGlusterd, type Glusterd } from '../helpers/gluster.js';
import { isRoot, processesMentioning, setupFixture, until, type Fixture } from '../runtime/exec/fixture.js';

// The exec runtime with a Gluster volume: the kubelet hands it the node-wide
// FUSE mount as a Mount's hostPath, and the container's own mount namespace
// binds it (mount --bind) like any directory. No change to the runtime.

const skip = glusterSkip() || (!isRoot && 'needs root');

describe('exec runtime: a glusterfs mount bound into a container', { skip }, () => {
  let gd: Glusterd;
  let fx: Fixture;
  const vol = `k8ts-exec-${process.pid}`;
  let brick: string;
  let mnt: string;

  before(async () => {
    gd = await startGlusterd();
    brick = await createVolume(gd, vol);
    fx = await setupFixture('gluster', 220);
    mnt = join(fx.dir, 'gluster-mount');
    await mkdir(mnt, { recursive: true });
    await mountGluster([hostAddress()], vol, mnt, { logFile: join(gd.dir, `${vol}.log`) });
  });

  after(async () => {
    if (mnt && (await mountsUnder(mnt)).length) await unmount(mnt);
    // umount returns before the FUSE client process has exited; the fixture's
    // leftover check would otherwise catch the process this test mounted.
    // Bounded so that a client that never exits fails the check below instead of hanging.
    const deadline = Date.now() + 30_000;
    if (mnt) await until(() => processesMentioning(mnt).length === 0 || Date.now() > deadline);
    await fx?.cleanup();
    if (gd) {
      await deleteVolume(gd, vol);
      await stopGlusterd(gd);
    }
  });

  test('a container writes through its bind of the Gluster mount and the bytes land on the brick', async () => {
    const sb = fx.sandboxConfig('gl');
    const sandbox = await fx.runtime.runPodSandbox(sb);
    const c = await fx.runtime.createContainer(sandbox, fx.containerConfig('w', ['sh', '-c', 'echo via-exec > /data/exec.txt && sleep 3600'], { mounts: [{ hostPath: mnt, containerPath: '/data', readOnly: false }] }), sb);
    await fx.runtime.startContainer(c);
    for (;;) {
      const text = await readFile(join(brick, 'exec.txt'), 'utf8').catch(() => '');
      if (text) {
        assert.equal(text, 'via-exec\n');
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    // Seen from the container: the path is a FUSE file system, not the host directory beneath.
    const r = await fx.exec(c, ['sh', '-c', 'grep " /data " /proc/mounts']);
    assert.match(r.out, /fuse\.glusterfs/);
    await fx.runtime.stopContainer(c, 1);
    await fx.runtime.removePodSandbox(sandbox);
  });
});
