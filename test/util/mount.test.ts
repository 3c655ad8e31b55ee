// unmountAllUnder, which `k8ts agent --uninstall` runs over the kubelet's
// root directory: nested mounts go deepest first, a mount point beside the
// directory (same prefix, another name) is left alone, and a busy mount is
// detached lazily instead of failing. Mounts tmpfs, so root only (CI is root).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { mountTable, unmountAllUnder } from '../../src/util/mount.js';

const skip = process.getuid?.() !== 0 && !process.env.CI ? 'needs root (mounts tmpfs)' : false;

describe('unmountAllUnder', { skip }, () => {
  let dir: string;
  const mounted = async (): Promise<string[]> => (await mountTable()).map((m) => m.target).filter((t) => t.startsWith(dir));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8ts-mount-test-'));
  });
  after(async () => {
    // Whatever a failed assertion left mounted (deepest first), then the directory.
    for (const t of (await mounted()).sort((a, b) => b.length - a.length)) execFileSync('umount', ['-l', t]);
    await rm(dir, { recursive: true, force: true });
  });

  test('unmounts nested mounts deepest first, a busy one lazily, and nothing beside the directory', async () => {
    const root = join(dir, 'kubelet');
    const outer = join(root, 'pods', 'a', 'volumes', 'scratch');
    const inner = join(outer, 'nested');
    const busy = join(root, 'pods', 'b', 'volumes', 'busy');
    const beside = join(dir, 'kubelet-other');
    for (const d of [outer, busy, beside]) await mkdir(d, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', outer]);
    await mkdir(inner);
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', inner]);
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', busy]);
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', beside]);
    // A process whose working directory is in the mount keeps it busy: a plain umount fails with EBUSY.
    const holder = spawn('sleep', ['30'], { cwd: busy, stdio: 'ignore' });
    try {
      assert.equal((await mounted()).length, 4);
      const r = await unmountAllUnder(`${root}/`);
      assert.deepEqual(r.failed, []);
      assert.deepEqual(new Set(r.unmounted), new Set([inner, outer, busy]));
      assert.ok(r.unmounted.indexOf(inner) < r.unmounted.indexOf(outer), `nested before its parent: ${r.unmounted.join(', ')}`);
      assert.deepEqual(await mounted(), [beside]);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
