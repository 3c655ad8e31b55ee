// The exec runtime run by an unprivileged user (nobody, through setpriv):
// it chooses host isolation by itself, says why in its PodIsolation
// condition, and still runs containers, exec with pipes and with a tty.
// The runtime runs in a child process of its own, as that user.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { isRoot, processesMentioning } from './fixture.js';

const INDEX = fileURLToPath(new URL('../../../src/runtime/exec/index.js', import.meta.url));

const SCRIPT = `
import { PassThrough } from 'node:stream';
const { createExecRuntime } = await import(process.argv[2]);
const dir = process.argv[3];
const rt = createExecRuntime({ rootDir: dir + '/runtime', nodeName: 'unprivileged' });
const status = await rt.status();
const sb = { metadata: { name: 'p', namespace: 'default', uid: 'u', attempt: 0 }, hostname: 'p', hostNetwork: false, portMappings: [], labels: {}, annotations: {}, podDir: dir + '/pod' };
const s = await rt.runPodSandbox(sb);
const id = await rt.createContainer(s, { metadata: { name: 'c', attempt: 0 }, image: 'busybox', command: ['sleep', '100000'], args: [], env: [], mounts: [], labels: {}, annotations: {}, logPath: dir + '/c.log' }, sb);
await rt.startContainer(id);
const run = async (cmd, tty) => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  const code = await rt.exec(id, { cmd, stdout: out, stderr: out, tty });
  return { code, text };
};
const result = { isolation: rt.isolation(), conditions: status.conditions, id: await run(['id', '-u']), tty: await run(['tty'], true), exit: await run(['sh', '-c', 'exit 3']) };
await rt.removePodSandbox(s);
await rt.close();
console.log(JSON.stringify(result));
`;

test('exec runtime as an unprivileged user: host isolation, said in its status, and exec still works', { skip: !isRoot && 'needs root to become nobody' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-exec-nobody-'));
  try {
    await chown(dir, 65534, 65534);
    await chmod(dir, 0o755);
    const script = join(dir, 'run.mjs');
    await writeFile(script, SCRIPT);
    const out = await new Promise<string>((resolve, reject) => {
      execFile('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, script, INDEX, dir], { env: { PATH: process.env.PATH, K8TS_LOG_LEVEL: 'error' } }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      );
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as {
      isolation: string;
      conditions: { type: string; status: boolean; reason: string; message: string }[];
      id: { code: number; text: string };
      tty: { code: number; text: string };
      exit: { code: number };
    };
    assert.equal(r.isolation, 'host');
    const iso = r.conditions.find((c) => c.type === 'PodIsolation')!;
    assert.equal(iso.status, false);
    assert.equal(iso.reason, 'NoPodIsolation');
    assert.match(iso.message, /not running as root/);
    assert.deepEqual(r.id, { code: 0, text: '65534\n' });
    assert.equal(r.tty.code, 0);
    assert.match(r.tty.text, /^\/dev\/pts\/\d+\r?\n$/);
    assert.equal(r.exit.code, 3);
    assert.deepEqual(processesMentioning(dir), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
