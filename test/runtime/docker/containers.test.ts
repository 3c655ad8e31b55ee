// Container semantics on the real dockerd: exit codes and reasons, command
// and args against the image's ENTRYPOINT/CMD, env, working dir, mounts,
// user, read-only rootfs, resources; image pull failures; version.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RuntimeError, type PodSandboxConfig } from '../../../src/runtime/interface.js';
import { importImage } from '../../../src/runtime/docker/import.js';
import { removeImage } from '../../../src/runtime/docker/images.js';
import { busyboxRootfsTar, dockerSkip } from '../../helpers/images.js';
import { setupFixture, type Fixture } from './fixture.js';

const skip = await dockerSkip();

describe('docker runtime: containers', { skip }, () => {
  let fx: Fixture;
  let sandbox: PodSandboxConfig;
  let sandboxId: string;
  let entrypointImage: string | undefined;

  before(async () => {
    fx = await setupFixture('ctr');
    sandbox = fx.sandboxConfig('ctr');
    sandboxId = await fx.runtime.runPodSandbox(sandbox);
  });

  after(async () => {
    try {
      await fx?.cleanup();
    } finally {
      if (entrypointImage && fx) await removeImage(fx.runtime.client, entrypointImage);
    }
  });

  async function runToEnd(command: string[], extra: Parameters<Fixture['containerConfig']>[2] = {}): Promise<{ id: string; output: string }> {
    const id = await fx.runtime.createContainer(sandboxId, fx.containerConfig(`c${Math.random().toString(36).slice(2, 8)}`, command, extra), sandbox);
    await fx.runtime.startContainer(id);
    return { id, output: await fx.waitExit(id) };
  }

  test('version reports docker, the engine version and the API version', async () => {
    const v = await fx.runtime.version();
    assert.equal(v.runtimeName, 'docker');
    assert.match(v.runtimeVersion, /^\d+\.\d+/);
    assert.match(v.runtimeApiVersion, /^1\.\d+$/);
  });

  test('a created container reports CONTAINER_CREATED', async () => {
    const id = await fx.runtime.createContainer(sandboxId, fx.containerConfig('created', ['true']), sandbox);
    const status = await fx.runtime.containerStatus(id);
    assert.equal(status.state, 'CONTAINER_CREATED');
    assert.equal(status.startedAt, 0);
    assert.ok(status.createdAt > 0);
    await fx.runtime.removeContainer(id);
    await fx.runtime.removeContainer(id);
    await assert.rejects(fx.runtime.containerStatus(id), { name: 'RuntimeError', code: 'NotFound' });
  });

  test('exit 0 is Completed, other codes are Error', async () => {
    const ok = await runToEnd(['true']);
    const okStatus = await fx.runtime.containerStatus(ok.id);
    assert.equal(okStatus.state, 'CONTAINER_EXITED');
    assert.equal(okStatus.exitCode, 0);
    assert.equal(okStatus.reason, 'Completed');
    assert.ok(okStatus.startedAt > 0 && okStatus.finishedAt >= okStatus.startedAt);
    assert.match(okStatus.imageRef, /^docker:\/\/sha256:/);
    assert.equal(okStatus.image, fx.busybox);

    const bad = await runToEnd(['sh', '-c', 'exit 7']);
    const badStatus = await fx.runtime.containerStatus(bad.id);
    assert.equal(badStatus.exitCode, 7);
    assert.equal(badStatus.reason, 'Error');
  });

  test('an entrypoint that cannot run fails start and reports ContainerCannotRun', async () => {
    const id = await fx.runtime.createContainer(sandboxId, fx.containerConfig('cannot', ['/no/such/entrypoint']), sandbox);
    await assert.rejects(fx.runtime.startContainer(id), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.equal(err.code, 'StartFailed');
      assert.match(err.message, /no such file or directory/);
      return true;
    });
    const status = await fx.runtime.containerStatus(id);
    assert.equal(status.state, 'CONTAINER_EXITED');
    assert.equal(status.reason, 'ContainerCannotRun');
    assert.notEqual(status.exitCode, 0);
    assert.match(status.message, /no such file or directory/);
  });

  test('a container over its memory limit is OOMKilled', async () => {
    // busybox tail keeps a whole newline-free input in memory.
    const { id } = await runToEnd(['sh', '-c', 'head -c 200000000 /dev/zero | tail > /dev/null'], {
      resources: { memoryLimitBytes: 16 * 1024 * 1024 },
    });
    // dockerd handles the kernel's OOM event and the exit as two events in either
    // order; inspect between them says exit 137 without OOMKilled, so wait for the flag.
    let status = await fx.runtime.containerStatus(id);
    for (let i = 0; i < 100 && status.reason !== 'OOMKilled'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await fx.runtime.containerStatus(id);
    }
    assert.equal(status.state, 'CONTAINER_EXITED');
    assert.equal(status.reason, 'OOMKilled');
    assert.equal(status.exitCode, 137);
  });

  test('command overrides ENTRYPOINT, args override CMD, the image supplies what is missing', async () => {
    entrypointImage = `k8ts-test/entrypoint:run-${process.pid}`;
    await importImage(fx.runtime.client, entrypointImage, await busyboxRootfsTar(), [
      'ENTRYPOINT ["/bin/echo", "from-entrypoint"]',
      'CMD ["from-cmd"]',
    ]);
    const image = entrypointImage;
    assert.equal((await runToEnd([], { image })).output, 'from-entrypoint from-cmd\n');
    assert.equal((await runToEnd([], { image, args: ['my-arg'] })).output, 'from-entrypoint my-arg\n');
    assert.equal((await runToEnd(['/bin/echo', 'my-command'], { image })).output, 'my-command\n');
    assert.equal((await runToEnd(['/bin/echo', 'my-command'], { image, args: ['my-arg'] })).output, 'my-command my-arg\n');
  });

  test('env, working dir, mounts (read-only too), user and read-only rootfs', async () => {
    const rw = join(fx.dir, 'rw');
    const ro = join(fx.dir, 'ro');
    await mkdir(rw, { recursive: true });
    await mkdir(ro, { recursive: true });
    await writeFile(join(ro, 'data'), 'ro-content\n');
    const script = [
      'echo "$GREETING"',
      'pwd',
      'cat /ro/data',
      'echo written > /rw/out',
      'if { echo x > /ro/x; } 2>/dev/null; then echo ro-writable; else echo ro-denied; fi',
      'if { echo x > /rootfs-file; } 2>/dev/null; then echo rootfs-writable; else echo rootfs-denied; fi',
      'id -u',
    ].join('; ');
    const { id, output } = await runToEnd(['sh', '-c', script], {
      env: [{ name: 'GREETING', value: 'hello env' }],
      workingDir: '/rw',
      mounts: [
        { hostPath: rw, containerPath: '/rw', readOnly: false },
        { hostPath: ro, containerPath: '/ro', readOnly: true },
      ],
      securityContext: { runAsUser: 0, readOnlyRootFilesystem: true },
    });
    assert.equal(output, 'hello env\n/rw\nro-content\nro-denied\nrootfs-denied\n0\n');
    assert.equal((await fx.runtime.containerStatus(id)).exitCode, 0);
    assert.equal(await readFile(join(rw, 'out'), 'utf8'), 'written\n');

    const user = await runToEnd(['sh', '-c', 'id -u; id -g'], { securityContext: { runAsUser: 1234, runAsGroup: 4321 } });
    assert.equal(user.output, '1234\n4321\n');
  });

  test('resources land in the docker host config', async () => {
    const id = await fx.runtime.createContainer(
      sandboxId,
      fx.containerConfig('res', ['true'], {
        resources: { cpuShares: 512, cpuQuota: 50_000, cpuPeriod: 100_000, memoryLimitBytes: 64 * 1024 * 1024 },
        labels: { tier: 'test' },
        annotations: { note: 'kept' },
      }),
      sandbox,
    );
    const inspect = await fx.runtime.client.call<{ HostConfig: Record<string, unknown> }>('GET', `/containers/${id}/json`);
    assert.equal(inspect.HostConfig.CpuShares, 512);
    assert.equal(inspect.HostConfig.CpuQuota, 50_000);
    assert.equal(inspect.HostConfig.CpuPeriod, 100_000);
    assert.equal(inspect.HostConfig.Memory, 64 * 1024 * 1024);
    const status = await fx.runtime.containerStatus(id);
    assert.equal(status.labels.tier, 'test');
    assert.deepEqual(status.annotations, { note: 'kept' });
    assert.equal(status.metadata.name, 'res');
    assert.equal(status.podSandboxId, sandboxId);
  });

  test('stopContainer is a no-op on a stopped container; missing containers are NotFound', async () => {
    const { id } = await runToEnd(['true']);
    await fx.runtime.stopContainer(id, 1);
    await assert.rejects(fx.runtime.stopContainer('f'.repeat(64), 1), { name: 'RuntimeError', code: 'NotFound' });
    await assert.rejects(fx.runtime.startContainer('f'.repeat(64)), { name: 'RuntimeError', code: 'NotFound' });
  });

  test('pulling an image that no registry has fails with Docker\'s message', async () => {
    const progress: string[] = [];
    await assert.rejects(fx.runtime.pullImage('k8ts-test/does-not-exist:0.0.1', (m) => progress.push(m)), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.ok(err.code === 'PullFailed' || err.code === 'ImageNotFound', err.code);
      assert.match(err.message, /k8ts-test\/does-not-exist:0\.0\.1/);
      // Docker's own words follow ours.
      assert.ok(err.message.length > 'failed to pull image "k8ts-test/does-not-exist:0.0.1": '.length);
      return true;
    });
    assert.ok(progress.length >= 1);
    assert.equal(await fx.runtime.imageStatus('k8ts-test/does-not-exist:0.0.1'), null);
  });

  test('creating a container from an absent image is ImageNotFound', async () => {
    await assert.rejects(
      fx.runtime.createContainer(sandboxId, fx.containerConfig('noimage', ['true'], { image: 'k8ts-test/does-not-exist:0.0.1' }), sandbox),
      { name: 'RuntimeError', code: 'ImageNotFound' },
    );
  });

  test('imageStatus of the busybox image', async () => {
    const info = await fx.runtime.imageStatus(fx.busybox);
    assert.ok(info);
    assert.match(info.id, /^sha256:/);
    assert.ok(info.repoTags.includes(fx.busybox));
    assert.ok(info.size > 0);
  });
});
