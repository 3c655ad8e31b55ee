// Container lifecycle on the exec runtime: exit codes, logs in CRI format,
// restarts as new attempts, graceful termination of a whole process tree,
// pause death, and the configuration errors the kubelet turns into waiting
// reasons. Runs as root (namespaces) and, forced, with host isolation.
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { RuntimeError } from '../../../src/runtime/interface.js';
import { isRoot, processesMentioning, setupFixture, until, type Fixture } from './fixture.js';

const CRI_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) [FP] .*$/;

async function collect(fx: Fixture, id: string, opts: Parameters<Fixture['runtime']['logs']>[1]): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  await fx.runtime.logs(id, opts, out);
  return text;
}

for (const isolation of ['namespaces', 'host'] as const) {
  describe(`exec runtime lifecycle (${isolation})`, { skip: isolation === 'namespaces' && !isRoot && 'needs root' }, () => {
    let fx: Fixture;
    let sandbox: string;
    const sb = (): ReturnType<Fixture['sandboxConfig']> => fx.sandboxConfig('life');

    before(async () => {
      fx = await setupFixture(`life-${isolation[0]}`, isolation === 'namespaces' ? 202 : 203, { isolation });
      sandbox = await fx.runtime.runPodSandbox(sb());
    });

    after(async () => {
      await fx?.cleanup();
    });

    it('reports isolation', () => {
      assert.equal(fx.runtime.isolation(), isolation);
      assert.ok(fx.runtime.isolationMessage().length > 0);
    });

    it('records exit codes and writes CRI-format logs that logs() reads back', async () => {
      const cfg = fx.containerConfig('echo', ['sh', '-c', 'echo one; echo two; echo oops >&2; printf partial; exit 3']);
      const id = await fx.runtime.createContainer(sandbox, cfg, sb());
      assert.equal((await fx.runtime.containerStatus(id)).state, 'CONTAINER_CREATED');
      await fx.runtime.startContainer(id);
      await fx.waitState(id, 'CONTAINER_EXITED');
      const st = await fx.runtime.containerStatus(id);
      assert.equal(st.exitCode, 3);
      assert.equal(st.reason, 'Error');
      assert.ok(st.finishedAt >= st.startedAt && st.startedAt >= st.createdAt);
      const plain = await collect(fx, id, {});
      assert.deepEqual(plain.split('\n').filter(Boolean).sort(), ['one', 'oops', 'partial', 'two']);
      const file = readFileSync(cfg.logPath, 'utf8').trim().split('\n');
      for (const line of file) assert.match(line, CRI_LINE);
      assert.ok(file.some((l) => / stderr F oops$/.test(l)));
      assert.equal(await collect(fx, id, { tailLines: 1 }), plain.split('\n').filter(Boolean).slice(-1)[0] + '\n');
      const stamped = await collect(fx, id, { timestamps: true });
      assert.match(stamped.split('\n')[0]!, /^\S+Z (stdout|stderr) \S+/);
      assert.equal((await collect(fx, id, { limitBytes: 2 })).length, 2);
    });

    it('follows a running container until it exits', async () => {
      const id = await fx.runtime.createContainer(sandbox, fx.containerConfig('ticker', ['sh', '-c', 'for i in 1 2 3; do echo tick $i; sleep 0.2; done']), sb());
      await fx.runtime.startContainer(id);
      const text = await collect(fx, id, { follow: true });
      assert.equal(text, 'tick 1\ntick 2\ntick 3\n');
      assert.equal((await fx.runtime.containerStatus(id)).reason, 'Completed');
    });

    it('starts a new attempt as a new container, keeping the previous one for --previous', async () => {
      const first = await fx.runtime.createContainer(sandbox, fx.containerConfig('app', ['sh', '-c', 'echo attempt0; exit 1']), sb());
      await fx.runtime.startContainer(first);
      await fx.waitState(first, 'CONTAINER_EXITED');
      const second = await fx.runtime.createContainer(sandbox, fx.containerConfig('app', ['sh', '-c', 'echo attempt1; sleep 1000'], { metadata: { name: 'app', attempt: 1 } }), sb());
      await fx.runtime.startContainer(second);
      assert.equal((await fx.runtime.containerStatus(second)).state, 'CONTAINER_RUNNING');
      assert.equal(await collect(fx, first, {}), 'attempt0\n');
      const list = await fx.runtime.listContainers({ labelSelector: { 'io.kubernetes.container.name': 'app' } });
      assert.equal(list.length, 2);
      await fx.runtime.stopContainer(second, 5);
      // CI once saw 137 here: the exit check missed a status written just before the supervisor exited (exit-status.test.ts).
      const stopped = await fx.runtime.containerStatus(second);
      assert.equal(stopped.exitCode, 143, JSON.stringify(stopped));
    });

    it('a container stopped right after its start still gets SIGTERM, not the SIGKILL that ends the grace period', async () => {
      // Start returns once the container's setup is done, a moment before it makes its own process group:
      // a stop in that moment once found nothing to signal and ended in SIGKILL (137) after the grace period.
      for (let i = 0; i < 20; i++) {
        const id = await fx.runtime.createContainer(sandbox, fx.containerConfig(`quick-${i}`, ['sh', '-c', 'sleep 1000']), sb());
        await fx.runtime.startContainer(id);
        await fx.runtime.stopContainer(id, 30);
        const st = await fx.runtime.containerStatus(id);
        assert.equal(st.exitCode, 143, `attempt ${i}: ${JSON.stringify(st)}`);
        await fx.runtime.removeContainer(id);
      }
    });

    it('stops gracefully with SIGTERM when the process handles it', async () => {
      const id = await fx.runtime.createContainer(sandbox, fx.containerConfig('graceful', ['sh', '-c', 'trap "echo bye; exit 0" TERM; echo ready; while :; do sleep 0.05; done']), sb());
      await fx.runtime.startContainer(id);
      await until(async () => (await collect(fx, id, {})).includes('ready'));
      await fx.runtime.stopContainer(id, 30);
      const st = await fx.runtime.containerStatus(id);
      assert.equal(st.exitCode, 0);
      assert.equal(st.reason, 'Completed');
      assert.match(await collect(fx, id, {}), /bye/);
    });

    it('kills the whole process tree after the grace period: no orphan survives', async () => {
      // The marker is only in the environment, so only the renamed sleep shows it in its command line.
      const marker = `k8ts-orphan-${fx.nodeName}`;
      const script = 'trap "" TERM; (trap "" TERM; exec -a "$MARKER" sleep 1000) & (trap "" TERM; sleep 1000 & wait) & echo ready; wait';
      const env = [{ name: 'MARKER', value: marker }];
      const id = await fx.runtime.createContainer(sandbox, fx.containerConfig('stubborn', ['bash', '-c', script], { image: 'debian', env }), sb());
      await fx.runtime.startContainer(id);
      await until(async () => (await collect(fx, id, {})).includes('ready'));
      await until(() => processesMentioning(marker).length === 1);
      await fx.runtime.stopContainer(id, 0.3);
      const st = await fx.runtime.containerStatus(id);
      assert.equal(st.state, 'CONTAINER_EXITED');
      assert.equal(st.exitCode, 137);
      assert.deepEqual(processesMentioning(marker), []);
    });

    it('kills what a container left behind when its main process exits', async () => {
      const marker = `k8ts-daemon-${fx.nodeName}`;
      const env = [{ name: 'MARKER', value: marker }];
      const id = await fx.runtime.createContainer(sandbox, fx.containerConfig('forker', ['bash', '-c', '(exec -a "$MARKER" sleep 1000) & until [ -e /proc/$! ]; do :; done; echo started'], { image: 'debian', env }), sb());
      await fx.runtime.startContainer(id);
      await fx.waitState(id, 'CONTAINER_EXITED');
      assert.match(await collect(fx, id, {}), /started/);
      await until(() => processesMentioning(marker).length === 0);
    });

    it('refuses a container without a command with InvalidConfig', async () => {
      await assert.rejects(fx.runtime.createContainer(sandbox, fx.containerConfig('empty', []), sb()), (err: unknown) => err instanceof RuntimeError && err.code === 'InvalidConfig' && /no command/.test(err.message));
    });

    it('fails to start a command that does not exist as runc does', async () => {
      const id = await fx.runtime.createContainer(sandbox, fx.containerConfig('missing', ['no-such-binary-k8ts']), sb());
      await assert.rejects(fx.runtime.startContainer(id), (err: unknown) => err instanceof RuntimeError && err.code === 'StartFailed' && /executable file not found in \$PATH/.test(err.message));
    });

    it('runs exec in the container with its environment', async () => {
      const id = await fx.runtime.createContainer(sandbox, fx.containerConfig('env', ['sleep', '1000'], { env: [{ name: 'K8TS_TEST', value: 'v1' }] }), sb());
      await fx.runtime.startContainer(id);
      const out = new PassThrough();
      let text = '';
      out.on('data', (d: Buffer) => (text += d.toString()));
      const stdin = new PassThrough();
      stdin.end('from stdin\n');
      const code = await fx.runtime.exec(id, { cmd: ['sh', '-c', 'echo $K8TS_TEST; cat; exit 4'], stdout: out, stdin });
      assert.equal(code, 4);
      assert.equal(text, 'v1\nfrom stdin\n');
      assert.ok(await fx.runtime.containerPid(id));
    });

    it('reports the sandbox not ready once stopped, and stops its containers', async () => {
      const cfg = fx.sandboxConfig('short');
      const sid = await fx.runtime.runPodSandbox(cfg);
      const id = await fx.runtime.createContainer(sid, fx.containerConfig('c', ['sleep', '1000']), cfg);
      await fx.runtime.startContainer(id);
      await fx.runtime.stopPodSandbox(sid);
      assert.equal((await fx.runtime.podSandboxStatus(sid)).state, 'SANDBOX_NOTREADY');
      assert.equal((await fx.runtime.containerStatus(id)).state, 'CONTAINER_EXITED');
      await fx.runtime.removePodSandbox(sid);
      await assert.rejects(fx.runtime.podSandboxStatus(sid), (err: unknown) => err instanceof RuntimeError && err.code === 'NotFound');
      assert.deepEqual(await fx.runtime.listContainers({ podSandboxId: sid }), []);
    });

    if (isolation === 'namespaces') {
      it('notices pause death: the sandbox is not ready and its containers have exited', async () => {
        const cfg = fx.sandboxConfig('fragile');
        const sid = await fx.runtime.runPodSandbox(cfg);
        const id = await fx.runtime.createContainer(sid, fx.containerConfig('c', ['sleep', '1000']), cfg);
        await fx.runtime.startContainer(id);
        // The pod's pause, seen from the host: a process running this runtime's pause script in the container's network
        // namespace. (Picking the highest PID, as this test once did, kills another sandbox's pause when PIDs wrap.)
        const cpid = await fx.runtime.containerPid(id);
        assert.ok(cpid, 'the container runs');
        const netns = readlinkSync(`/proc/${cpid}/ns/net`);
        const pause = processesMentioning(`${fx.dir}/runtime/pause.sh`).filter((pid) => !readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('unshare') && readlinkSync(`/proc/${pid}/ns/net`) === netns);
        assert.equal(pause.length, 1, `one pause process in the pod's network namespace, found ${pause.join(', ')}`);
        const statusBefore = await fx.runtime.podSandboxStatus(sid);
        assert.equal(statusBefore.state, 'SANDBOX_READY');
        process.kill(pause[0]!, 'SIGKILL');
        await until(async () => (await fx.runtime.podSandboxStatus(sid)).state === 'SANDBOX_NOTREADY');
        await fx.waitState(id, 'CONTAINER_EXITED');
        assert.equal((await fx.runtime.containerStatus(id)).exitCode, 137);
        await fx.runtime.removePodSandbox(sid);
      });
    }
  });
}
