import { mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { VolumePlugin } from './plugin.js';

// hostPath: the node's own path, checked against spec.hostPath.type as
// upstream's hostPathTypeChecker does, with its error messages.

async function statOrUndefined(p: string) {
  return stat(p).catch(() => undefined);
}

export async function checkHostPathType(path: string, type: string | undefined): Promise<void> {
  const fail = (what: string): never => {
    throw new Error(`hostPath type check failed: ${path} is not ${what}`);
  };
  const st = await statOrUndefined(path);
  switch (type ?? '') {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!st) await mkdir(path, { recursive: true, mode: 0o755 });
      else if (!st.isDirectory()) fail('a directory');
      return;
    case 'Directory':
      if (!st?.isDirectory()) fail('a directory');
      return;
    case 'FileOrCreate':
      if (!st) {
        await mkdir(dirname(path), { recursive: true, mode: 0o755 });
        await (await open(path, 'a', 0o644)).close();
      } else if (!st.isFile()) fail('a file');
      return;
    case 'File':
      if (!st?.isFile()) fail('a file');
      return;
    case 'Socket':
      if (!st?.isSocket()) fail('a socket file');
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) fail('a character device');
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) fail('a block device');
      return;
    default:
      throw new Error(`invalid HostPathType: ${type}`);
  }
}

export const hostPathPlugin: VolumePlugin = {
  name: 'kubernetes.io/host-path',
  canSupport: (v) => v.hostPath !== undefined && v.hostPath !== null,
  async setUp({ volume }): Promise<string> {
    const hp = volume.hostPath!;
    await checkHostPathType(hp.path, hp.type);
    return hp.path;
  },
};
