// A restarted kubelet gets a new runtime instance over the same root dir:
// processes kept running, and the new instance finds them from its state
// files, checks each pid against its start time (a reused pid is not the
// container), and carries on with logs, exec and stopping.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { isRoot, setupFixture, until, type Fixture } from './fixture.js';

async function logText(fx: Fixture, id: string): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  await fx.runtime.logs(id, {}, out);
  return text;
}

for (const isolation of ['namespaces', 'host'] as const) {
  describe(`exec runtime adoption (${isolation})`, { skip: isolation === 'namespaces' && !isRoot && 'needs root' }, () => {
    let fx: Fixture;

    before(async () => {
      fx = await setupFixture(`adopt-${isolation[0]}`, isolation === 'namespaces' ? 204 : 205, { isolation });
    });

    after(async () => {
      await fx?.cleanup();
    });

    it('adopts running pods after a restart and keeps their logs going', async () => {
      const cfg = fx.sandboxConfig('keeper');
      const sid = await fx.runtime.runPodSandbox(cfg);
      const ip = (await fx.runtime.podSandboxStatus(sid)).ips;
      const id = await fx.runtime.createContainer(sid, fx.containerConfig('loop', ['sh', '-c', 'i=0; while :; do echo line $i; i=$((i+1)); sleep 0.1; done']), cfg);
      await fx.runtime.startContainer(id);
      const done = await fx.runtime.createContainer(sid, fx.containerConfig('done', ['sh', '-c', 'exit 7']), cfg);
      await fx.runtime.startContainer(done);
      await fx.waitState(done, 'CONTAINER_EXITED');
      const pid = await fx.runtime.containerPid(id);
      await until(async () => (await logText(fx, id)).includes('line 2'));
      await fx.runtime.close();

      const rt = fx.reopen();
      const sandboxes = await rt.listPodSandboxes();
      assert.deepEqual(sandboxes.map((s) => [s.id, s.state]), [[sid, 'SANDBOX_READY']]);
      assert.deepEqual((await rt.podSandboxStatus(sid)).ips, ip);
      assert.equal((await rt.containerStatus(id)).state, 'CONTAINER_RUNNING');
      assert.equal(await rt.containerPid(id), pid);
      const old = await rt.containerStatus(done);
      assert.equal(old.exitCode, 7);
      const seen = (await logText(fx, id)).split('\n').filter(Boolean).length;
      await until(async () => (await logText(fx, id)).split('\n').filter(Boolean).length > seen + 2);
      const lines = (await logText(fx, id)).split('\n').filter(Boolean);
      // No line lost or repeated across the restart.
      assert.deepEqual(lines, lines.map((_, i) => `line ${i}`));
      const ex = await fx.exec(id, ['sh', '-c', 'echo adopted'], rt);
      assert.equal(ex.out, 'adopted\n');
      await rt.stopContainer(id, 1);
      assert.equal((await rt.containerStatus(id)).state, 'CONTAINER_EXITED');
      await rt.removePodSandbox(sid);
    });

    it('does not mistake a reused pid for the container', async () => {
      const cfg = fx.sandboxConfig('reuse');
      const sid = await fx.runtime.runPodSandbox(cfg);
      const id = await fx.runtime.createContainer(sid, fx.containerConfig('c', ['sleep', '1000']), cfg);
      await fx.runtime.startContainer(id);
      await fx.runtime.close();
      // Point the record at another live process (this one) with a different start time, as after pid reuse.
      const file = join(fx.dir, 'runtime', 'containers', id, 'state.json');
      const rec = JSON.parse(readFileSync(file, 'utf8')) as { supervisor: { pid: number; startTime: string } };
      const real = rec.supervisor;
      rec.supervisor = { pid: process.pid, startTime: '1' };
      writeFileSync(file, JSON.stringify(rec));
      const rt = fx.reopen();
      const st = await rt.containerStatus(id);
      assert.equal(st.state, 'CONTAINER_EXITED');
      assert.equal(st.exitCode, 137);
      // What the container left behind is ended, not adopted as if it were still the container.
      await until(() => {
        try {
          return readFileSync(`/proc/${real.pid}/stat`, 'utf8').split(' ')[2] === 'Z';
        } catch {
          return true;
        }
      });
      await rt.removePodSandbox(sid);
    });
  });
}
