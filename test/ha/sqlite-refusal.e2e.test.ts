import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, startK8ts } from '../helpers/k8ts-process.js';

// SQLite stays the single-server store: asking `k8ts server` to share it
// with other servers is refused with a message that says why and what to
// use instead, before anything is written.

function run(args: string[]): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, ['bin/k8ts.js', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  child.stdout!.on('data', (d) => (err += d));
  return new Promise((r) => child.once('exit', (code) => r({ code, err })));
}

test('k8ts server refuses to share SQLite with other servers', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-sqlite-ha-'));
  try {
    for (const [flag, extra] of [
      ['--cluster-init', []],
      ['--server', ['https://127.0.0.1:6443', '--token', 'K10abc::server:secret']],
      ['--etcd-endpoints', ['http://127.0.0.1:2379']],
    ] as const) {
      const r = await run(['server', '--storage', 'sqlite', '--data-dir', dir, '--disable-agent', flag, ...extra]);
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, new RegExp(`${flag} asks for several servers sharing one store, but SQLite cannot be shared by several servers`));
      assert.match(r.err, /use --storage etcd --etcd-endpoints/);
    }
    // A second server on the same SQLite data dir is refused while the first runs.
    const first = await startK8ts(['server', '--data-dir', dir, '--port', '0', '--disable-agent', '--disable-dns']);
    try {
      const second = await run(['server', '--data-dir', dir, '--port', '0', '--disable-agent', '--disable-dns']);
      assert.equal(second.code, 1);
      assert.match(second.err, /state\.db: in use by another process/);
    } finally {
      await first.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
