// The pause image is built locally when absent: from a static busybox, or by
// compiling a tiny C program, or it fails saying what to install. Each test
// builds under its own tag (never k8ts/pause:3.10) and removes it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { RuntimeError } from '../../../src/runtime/interface.js';
import { DockerRuntime } from '../../../src/runtime/docker/runtime.js';
import { inspectImage, removeImage } from '../../../src/runtime/docker/images.js';
import { buildPauseRootfs } from '../../../src/runtime/pause/rootfs.js';
import { dockerSkip } from '../../helpers/images.js';
import { setupFixture, type Fixture } from './fixture.js';
import { until } from '../../helpers/wait.js';
import { readFile } from 'node:fs/promises';

const skip = await dockerSkip();
const ccStatic = spawnSync('cc', ['--version']).status === 0;

describe('pause image', () => {
  test('without busybox or a compiler the error says what to install', async () => {
    await assert.rejects(buildPauseRootfs({ busybox: null, cc: null }), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.match(err.message, /busybox-static/);
      return true;
    });
  });

  test('a dynamically linked busybox is refused', async () => {
    await assert.rejects(buildPauseRootfs({ busybox: process.execPath }), { name: 'RuntimeError', code: 'InvalidConfig' });
  });

  test('a compiler that fails is reported with its output', async () => {
    await assert.rejects(buildPauseRootfs({ busybox: null, cc: '/bin/false' }), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.match(err.message, /-static` failed/);
      return true;
    });
  });
});

describe('pause image builds on dockerd', { skip }, () => {
  let fx: Fixture;
  const tags: string[] = [];
  const runtimes: DockerRuntime[] = [];

  before(async () => {
    fx = await setupFixture('pause');
  });

  after(async () => {
    try {
      for (const rt of runtimes) {
        for (const s of await rt.listPodSandboxes()) await rt.removePodSandbox(s.id);
        await rt.close();
      }
      await fx?.cleanup();
    } finally {
      for (const tag of tags) if (fx) await removeImage(fx.runtime.client, tag);
    }
  });

  function runtimeFor(variant: 'busybox' | 'cc'): DockerRuntime {
    const tag = `k8ts-test/pause:build-${variant}-${process.pid}-${randomBytes(3).toString('hex')}`;
    tags.push(tag);
    const rt = new DockerRuntime({
      nodeName: fx.nodeName,
      pauseImage: tag,
      pauseBuild: variant === 'busybox' ? {} : { busybox: null },
    });
    runtimes.push(rt);
    return rt;
  }

  async function sandboxLifecycle(rt: DockerRuntime): Promise<void> {
    const config = fx.sandboxConfig(`pause-${randomBytes(2).toString('hex')}`);
    const id = await rt.runPodSandbox(config);
    assert.equal((await rt.podSandboxStatus(id)).state, 'SANDBOX_READY');
    // Docker reports the container started before pause has installed its handlers, and PID 1
    // ignores a signal it has no handler for: wait until SIGTERM is caught (SigCgt bit 15).
    const pid = (await rt.client.call<{ State: { Pid: number } }>('GET', `/containers/${id}/json`)).State.Pid;
    await until('pause catches SIGTERM', async () => {
      const m = /^SigCgt:\s+([0-9a-f]+)$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
      return !!m && (BigInt(`0x${m[1]}`) & (1n << 14n)) !== 0n;
    });
    await rt.stopPodSandbox(id);
    // Exit 0 (not 137) means the pause program handled SIGTERM itself.
    const inspect = await rt.client.call<{ State: { ExitCode: number } }>('GET', `/containers/${id}/json`);
    assert.equal(inspect.State.ExitCode, 0);
    await rt.removePodSandbox(id);
  }

  test('pullImage of the pause image builds it from busybox and reports progress', async () => {
    const rt = runtimeFor('busybox');
    assert.equal(await inspectImage(rt.client, rt.pauseImage), null);
    const progress: string[] = [];
    const [a, b] = await Promise.all([rt.pullImage(rt.pauseImage, (m) => progress.push(m)), rt.ensurePauseImage()]);
    assert.equal(a, b);
    assert.match(a, /^sha256:/);
    assert.ok(progress.some((m) => /from \/.*busybox/.test(m)), progress.join('\n'));
    assert.ok(progress.some((m) => m.startsWith('Built pause image')), progress.join('\n'));
    const image = await inspectImage(rt.client, rt.pauseImage);
    assert.deepEqual(image?.Config?.Entrypoint, ['/pause']);
    // Present now: nothing is built again.
    const again: string[] = [];
    assert.equal(await rt.ensurePauseImage((m) => again.push(m)), a);
    assert.deepEqual(again, []);
    await sandboxLifecycle(rt);
  });

  test('runPodSandbox compiles the pause program when there is no busybox', { skip: ccStatic ? false : 'no cc' }, async () => {
    const rt = runtimeFor('cc');
    await sandboxLifecycle(rt);
    const image = await inspectImage(rt.client, rt.pauseImage);
    assert.deepEqual(image?.Config?.Entrypoint, ['/pause']);
  });
});
