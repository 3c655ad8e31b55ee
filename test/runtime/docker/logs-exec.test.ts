// Logs (timestamps, tail, since, limit, follow, tty, exited containers) and
// exec (exit codes, stdout/stderr split, stdin, tty) against the real dockerd.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { PodSandboxConfig } from '../../../src/runtime/interface.js';
import { dockerSkip } from '../../helpers/images.js';
import { setupFixture, sink, type Fixture } from './fixture.js';

const skip = await dockerSkip();
const TS = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z';

describe('docker runtime: logs and exec', { skip }, () => {
  let fx: Fixture;
  let sandbox: PodSandboxConfig;
  let sandboxId: string;
  let exitedId: string;
  let mixedId: string;
  let sleeperId: string;

  before(async () => {
    fx = await setupFixture('logs');
    sandbox = fx.sandboxConfig('logs');
    sandboxId = await fx.runtime.runPodSandbox(sandbox);
    exitedId = await run(['sh', '-c', 'echo one; echo two; echo three']);
    await fx.waitExit(exitedId);
    mixedId = await run(['sh', '-c', 'echo to-stdout; echo to-stderr >&2']);
    await fx.waitExit(mixedId);
    sleeperId = await run(['sh', '-c', 'trap "exit 0" TERM; echo ready; while :; do sleep 1; done']);
  });

  after(async () => {
    await fx?.cleanup();
  });

  async function run(command: string[], extra: Parameters<Fixture['containerConfig']>[2] = {}): Promise<string> {
    const name = `c${Math.random().toString(36).slice(2, 8)}`;
    const id = await fx.runtime.createContainer(sandboxId, fx.containerConfig(name, command, extra), sandbox);
    await fx.runtime.startContainer(id);
    return id;
  }

  async function logs(id: string, opts: Parameters<Fixture['runtime']['logs']>[1]): Promise<string> {
    const out = sink();
    await fx.runtime.logs(id, opts, out.stream);
    return out.text();
  }

  test('logs of an exited container, plain and with timestamps and streams', async () => {
    assert.equal(await logs(exitedId, {}), 'one\ntwo\nthree\n');
    const lines = (await logs(exitedId, { timestamps: true })).split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 3);
    assert.match(lines[0], new RegExp(`^${TS} stdout one$`));
    assert.match(lines[1], new RegExp(`^${TS} stdout two$`));
    assert.match(lines[2], new RegExp(`^${TS} stdout three$`));
  });

  test('stderr is told apart from stdout', async () => {
    // Docker copies the two streams separately, so their relative order is not kept.
    const lines = (await logs(mixedId, { timestamps: true })).trimEnd().split('\n').sort((a, b) => a.slice(31).localeCompare(b.slice(31)));
    assert.equal(lines.length, 2);
    assert.match(lines[0], new RegExp(`^${TS} stderr to-stderr$`));
    assert.match(lines[1], new RegExp(`^${TS} stdout to-stdout$`));
    assert.deepEqual((await logs(mixedId, {})).split('\n').sort(), ['', 'to-stderr', 'to-stdout']);
  });

  test('tail, since and limitBytes', async () => {
    assert.equal(await logs(exitedId, { tailLines: 1 }), 'three\n');
    assert.equal(await logs(exitedId, { tailLines: 0 }), '');
    assert.equal(await logs(exitedId, { limitBytes: 6 }), 'one\ntw');
    assert.equal(await logs(exitedId, { sinceMs: Date.now() + 3_600_000 }), '');
    const status = await fx.runtime.containerStatus(exitedId);
    assert.equal(await logs(exitedId, { sinceMs: status.createdAt - 1000 }), 'one\ntwo\nthree\n');
  });

  test('follow streams new lines until the container exits', async () => {
    const id = await run(['sh', '-c', 'echo first; while [ ! -e /go ]; do sleep 0.1; done; echo second']);
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const following = fx.runtime.logs(id, { follow: true }, out);
    while (!text.includes('first')) await once(out, 'data');
    assert.equal(await fx.runtime.exec(id, { cmd: ['sh', '-c', ': > /go'] }), 0);
    await following;
    assert.equal(text, 'first\nsecond\n');
  });

  test('follow ends when the signal aborts', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const ac = new AbortController();
    const following = fx.runtime.logs(sleeperId, { follow: true }, out, ac.signal);
    while (!text.includes('ready')) await once(out, 'data');
    ac.abort();
    await following;
    assert.equal(text, 'ready\n');
  });

  test('logs of a tty container', async () => {
    const id = await run(['sh', '-c', 'echo tty-line'], { tty: true });
    await fx.waitExit(id);
    assert.equal(await logs(id, {}), 'tty-line\r\n');
    assert.match(await logs(id, { timestamps: true }), new RegExp(`^${TS} stdout tty-line\\r\\n$`));
  });

  test('exec returns the exit code and splits stdout from stderr', async () => {
    const out = sink();
    const err = sink();
    const code = await fx.runtime.exec(sleeperId, {
      cmd: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 3'],
      stdout: out.stream,
      stderr: err.stream,
    });
    assert.equal(code, 3);
    assert.equal(out.text(), 'to-out\n');
    assert.equal(err.text(), 'to-err\n');
  });

  test('exec feeds stdin and sees its end', async () => {
    const out = sink();
    const code = await fx.runtime.exec(sleeperId, {
      cmd: ['sh', '-c', 'wc -c; cat /dev/null'],
      stdin: Readable.from([Buffer.from('hello '), Buffer.from('world')]),
      stdout: out.stream,
    });
    assert.equal(code, 0);
    assert.equal(out.text().trim(), '11');
  });

  test('exec with a tty and resize', async () => {
    const out = sink();
    async function* sizes(): AsyncGenerator<{ width: number; height: number }> {
      yield { width: 100, height: 40 };
    }
    const code = await fx.runtime.exec(sleeperId, { cmd: ['sh', '-c', 'echo in-tty; exit 5'], tty: true, stdout: out.stream, resize: sizes() });
    assert.equal(code, 5);
    assert.equal(out.text(), 'in-tty\r\n');
  });

  test('exec of a missing command and in a missing container', async () => {
    const err = sink();
    const code = await fx.runtime.exec(sleeperId, { cmd: ['/no/such/binary'], stderr: err.stream, stdout: err.stream });
    assert.ok(code === 126 || code === 127, `exit code ${code}`);
    await assert.rejects(fx.runtime.exec('0000000000000000000000000000000000000000000000000000000000000000', { cmd: ['true'] }), {
      name: 'RuntimeError',
      code: 'NotFound',
    });
  });

  test('containerPid of a running container', async () => {
    const pid = await fx.runtime.containerPid(sleeperId);
    assert.ok(pid && pid > 1);
    assert.equal(await fx.runtime.containerPid(exitedId), undefined);
  });
});
