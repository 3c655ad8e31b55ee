import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMountPoint, unmount } from '../../util/mount.js';

// One mount per node for a network volume, however many pods use it (as
// upstream's global mount path): rootDir/plugins/<plugin>/mounts/<key> is
// the mount, and rootDir/plugins/<plugin>/users/<key>/ holds one file per
// pod volume using it. The files outlive a kubelet restart, so the count
// does too; the mount goes when the last user file does, never before.
// Set-ups and tear-downs of one key run one at a time.

const locks = new Map<string, Promise<unknown>>();

async function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(key) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(fn);
  locks.set(key, next);
  try {
    return await next;
  } finally {
    if (locks.get(key) === next) locks.delete(key);
  }
}

export function mountKey(identity: string): string {
  const readable = identity.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60);
  return `${readable}-${createHash('sha256').update(identity).digest('hex').slice(0, 10)}`;
}

function userId(podVolumeDir: string): string {
  return createHash('sha256').update(podVolumeDir).digest('hex').slice(0, 24);
}

/** Makes sure `key` is mounted (calling doMount on its empty target if not) and records the pod volume as a user. */
export async function acquire(pluginDir: string, key: string, podVolumeDir: string, doMount: (target: string) => Promise<void>): Promise<string> {
  const target = join(pluginDir, 'mounts', key);
  const users = join(pluginDir, 'users', key);
  return serialized(target, async () => {
    await mkdir(users, { recursive: true });
    if (!(await isMountPoint(target))) {
      await mkdir(target, { recursive: true });
      await doMount(target);
    }
    await mkdir(podVolumeDir, { recursive: true });
    await writeFile(join(podVolumeDir, 'shared-mount'), key);
    await writeFile(join(users, userId(podVolumeDir)), podVolumeDir);
    return target;
  });
}

/** Drops the pod volume's use of `key`; unmounts when nobody else on the node uses it. */
export async function release(pluginDir: string, key: string, podVolumeDir: string): Promise<void> {
  const target = join(pluginDir, 'mounts', key);
  const users = join(pluginDir, 'users', key);
  await serialized(target, async () => {
    await rm(join(users, userId(podVolumeDir)), { force: true });
    const left = await readdir(users).catch(() => [] as string[]);
    if (left.length > 0) return;
    if (await isMountPoint(target)) await unmount(target);
    await rmdir(target).catch(() => undefined);
    await rmdir(users).catch(() => undefined);
  });
}
