import { mkdir, readFile, rm, chmod } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { VolumePlugin, VolumeSetUpContext } from './plugin.js';

// emptyDir: a directory under the pod's volume dir, world-writable as
// upstream makes it; medium Memory is a tmpfs when the kubelet may mount
// (root, not lightweight), otherwise a plain directory and a warning.

const run = promisify(execFile);

async function isMountPoint(path: string): Promise<boolean> {
  const mounts = await readFile('/proc/mounts', 'utf8').catch(() => '');
  return mounts.split('\n').some((l) => l.split(' ')[1] === path);
}

export const emptyDirPlugin: VolumePlugin = {
  name: 'kubernetes.io/empty-dir',
  canSupport: (v) => v.emptyDir !== undefined && v.emptyDir !== null,
  async setUp(ctx: VolumeSetUpContext): Promise<string> {
    const { dir, volume, host } = ctx;
    await mkdir(dir, { recursive: true });
    if (volume.emptyDir?.medium === 'Memory' && !(await isMountPoint(dir))) {
      const canMount = process.getuid?.() === 0 && !host.lightweight && process.platform === 'linux';
      if (canMount) {
        const opts = volume.emptyDir.sizeLimit ? ['-o', `size=${volume.emptyDir.sizeLimit}`] : [];
        try {
          await run('mount', ['-t', 'tmpfs', ...opts, 'tmpfs', dir]);
        } catch (err) {
          host.log.warn({ pod: ctx.pod.metadata.name, volume: volume.name, err: (err as Error).message }, 'tmpfs mount failed, emptyDir medium Memory falls back to disk');
        }
      } else {
        host.log.warn({ pod: ctx.pod.metadata.name, volume: volume.name }, 'not allowed to mount tmpfs, emptyDir medium Memory falls back to disk');
      }
    }
    await chmod(dir, 0o777);
    return dir;
  },
  async tearDown({ dir }): Promise<void> {
    if (await isMountPoint(dir)) await run('umount', [dir]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  },
};
